/**
 * D4 sensors (`/ui/admin/sensors`): pending sensors first (a D4 client that connected unknown: first
 * seen, source address), approved and revoked ones after, with last seen, records, rejects and bytes.
 * Approving (or "Add a sensor") shows the new key once, with a Copy button and a zip of the D4 client's
 * configuration folder made in the page (lib/d4-client.ts), its destination editable first. Revoke and
 * delete ask first. Without a secret key the server cannot manage sensors (503): the page says how to
 * give it one.
 */
import {
  addSensor,
  approveSensor,
  deleteSensor,
  listSensors,
  revokeSensor,
  type Sensor,
} from "../lib/admin-api.js";
import { byteSize, count, localTime } from "../lib/admin-format.js";
import { ApiFailure } from "../lib/api.js";
import {
  d4ClientZip,
  d4FolderName,
  SENSOR_TYPE_LABELS,
  type SensorType,
  validDestination,
} from "../lib/d4-client.js";
import { type Child, h, show } from "../lib/dom.js";
import { empty, failure, loading } from "../lib/states.js";
import {
  badge,
  busy,
  confirmFirst,
  download,
  failureText,
  field,
  type Notice,
  notice,
  pageHeading,
  secretBox,
  timeCell,
} from "./admin-parts.js";
import { dataTable } from "./data-table.js";
import type { ViewContext } from "./view.js";

const TYPES = Object.keys(SENSOR_TYPE_LABELS) as SensorType[];

function typeSelect(label: string, selected: SensorType = "8"): HTMLSelectElement {
  return h(
    "select",
    { "aria-label": label },
    TYPES.map((type) => h("option", { value: type, selected: type === selected }, SENSOR_TYPE_LABELS[type])),
  );
}

export async function renderSensors({ root, signal }: ViewContext): Promise<void> {
  const said = notice();
  const keySlot = h("div", { class: "secret-slot" });
  const lists = h("div", null, loading("Loading sensors…"));
  const updated = h("span", { class: "hint", role: "status" });
  const refresh = h("button", { type: "button", class: "secondary" }, "Refresh");
  refresh.addEventListener("click", () => void busy(refresh, "Refreshing…", () => load()));

  const newType = typeSelect("Type of the new sensor");
  newType.id = "new-sensor-type";
  const create = h("button", { type: "submit" }, "Create sensor");
  const addForm = h(
    "form",
    { class: "admin-form", "aria-labelledby": "add-sensor-title" },
    field("new-sensor-type", "Type", newType, "what the sensor sends"),
    h("div", { class: "field field-submit" }, create),
  );
  addForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const type = newType.value as SensorType;
    try {
      const made = await busy(create, "Creating…", () => addSensor(type));
      showKey(made.uuid, made.key, type, "created");
      await load();
    } catch (error) {
      said.say(`No sensor was created: ${failureText(error)}`, "error");
    }
  });
  const addSection = h(
    "section",
    { class: "admin-section", "aria-labelledby": "add-sensor-title" },
    h("h2", { id: "add-sensor-title" }, "Add a sensor"),
    h(
      "p",
      { class: "hint" },
      "Creates an approved sensor with a new uuid and key, for a D4 client you set up yourself " + "(as ",
      h("code", null, "pdns-pssl sensors add"),
      " does).",
    ),
    addForm,
  );

  show(
    root,
    h(
      "div",
      { class: "admin" },
      pageHeading(
        "Sensors",
        "D4 sensors that feed this server over TLS. A sensor that connects unknown waits here as pending " +
          "until you approve it; its data is refused until then.",
        h("div", { class: "head-actions" }, refresh, updated),
      ),
      said.element,
      keySlot,
      lists,
      addSection,
    ),
  );

  /** Shows a new key once, with the client folder to download. */
  function showKey(uuid: string, key: string, type: SensorType, what: "approved" | "created"): void {
    const destination = h("input", {
      name: "destination",
      value: `${location.hostname}:4443`,
      autocomplete: "off",
      spellcheck: "false",
    });
    const destinationError = h("p", { class: "form-error", role: "alert" });
    const save = h("button", { type: "button" }, "Download D4 client config (.zip)");
    save.addEventListener("click", () => {
      const target = destination.value.trim();
      if (!validDestination(target)) {
        destinationError.textContent = "Give the D4 endpoint as host:port, e.g. d4.example.org:4443.";
        destination.focus();
        return;
      }
      destinationError.textContent = "";
      download(d4ClientZip({ uuid, key }, type, target), `${d4FolderName(uuid)}.zip`, "application/zip");
    });
    const box = secretBox({
      id: "sensor-key",
      title: `Sensor ${what}: ${uuid}`,
      label: `Its key (type ${SENSOR_TYPE_LABELS[type]})`,
      secret: key,
      note:
        "this is the only time it is shown: the server keeps it encrypted and never shows it again. " +
        "Lost it? Revoke the sensor, then approve it again for a new key.",
      extra: h(
        "div",
        { class: "client-config" },
        h(
          "div",
          { class: "admin-form" },
          field("sensor-destination", "D4 endpoint the sensor connects to", destination, [
            "host:port of this server's ",
            h("code", null, "--d4-listen"),
            " as the sensor reaches it",
          ]),
          h("div", { class: "field field-submit" }, save),
        ),
        destinationError,
        h(
          "p",
          { class: "hint" },
          "The zip holds the folder ",
          h("code", null, `${d4FolderName(uuid)}/`),
          " with uuid, key (mode 0600), destination, type, version, source, snaplen",
          type === "ja3-jl" ? " and metaheader.json" : "",
          ": the configuration the D4 C and Go clients read (their ",
          h("code", null, "-c"),
          " option).",
        ),
      ),
      done: () => {
        keySlot.replaceChildren();
        refresh.focus();
      },
    });
    keySlot.replaceChildren(box.element);
    said.clear();
    box.focus();
  }

  async function load(): Promise<void> {
    let sensors: Sensor[];
    try {
      sensors = await listSensors(signal);
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiFailure && error.status === 503 && error.code === "no_secret_key") {
        addSection.hidden = true;
        show(lists, noSecretKey());
      } else {
        show(
          lists,
          failure(error, () => void load()),
        );
      }
      return;
    }
    updated.textContent = `Updated ${localTime(new Date().toISOString()).slice(11)}`;
    const pending = sensors
      .filter((s) => s.status === "pending")
      .sort((a, b) => ((a.lastSeen ?? a.firstSeen) < (b.lastSeen ?? b.firstSeen) ? 1 : -1));
    const others = sensors
      .filter((s) => s.status !== "pending")
      .sort((a, b) =>
        a.status !== b.status
          ? a.status === "approved"
            ? -1
            : 1
          : (a.lastSeen ?? a.firstSeen) < (b.lastSeen ?? b.firstSeen)
            ? 1
            : -1,
      );
    if (sensors.length === 0) {
      show(lists, noSensors());
      return;
    }
    const actions: SensorActions = {
      said,
      approved: (uuid, key, type) => {
        showKey(uuid, key, type, "approved");
        void load();
      },
      changed: load,
      focusAfter: () => refresh.focus(),
    };
    show(
      lists,
      h(
        "section",
        { class: "admin-section", "aria-labelledby": "pending-title" },
        h(
          "h2",
          { id: "pending-title" },
          "Waiting for approval ",
          h("span", { class: pending.length > 0 ? "count-pill warn" : "count-pill" }, String(pending.length)),
        ),
        pending.length === 0
          ? h("p", { class: "hint" }, "No sensor is waiting: unknown sensors that connect appear here.")
          : table(
              "pending-table",
              ["Sensor", "First seen", "Last seen", "Source address", "Type", "Actions"],
              pending.map((s) => pendingRow(s, actions)),
            ),
      ),
      h(
        "section",
        { class: "admin-section", "aria-labelledby": "known-title" },
        h(
          "h2",
          { id: "known-title" },
          "Approved and revoked ",
          h("span", { class: "count-pill" }, String(others.length)),
        ),
        others.length === 0
          ? h("p", { class: "hint" }, "None yet: approve a pending sensor, or add one below.")
          : table(
              "sensors-table",
              ["Sensor", "Status", "Last seen", "Source address", "Records", "Rejects", "Data", "Actions"],
              others.map((s) => sensorRow(s, actions)),
            ),
      ),
    );
  }

  await load();
}

interface SensorActions {
  said: Notice;
  approved: (uuid: string, key: string, type: SensorType) => void;
  changed: () => Promise<void>;
  focusAfter: () => void;
}

function table(className: string, headings: string[], rows: HTMLElement[]): HTMLElement {
  const made = dataTable({
    className: `admin-table stack ${className}`,
    columns: headings.map((label) =>
      ["Records", "Rejects", "Data"].includes(label) ? { label, numeric: true as const } : label,
    ),
  });
  made.add(rows);
  return made.element;
}

/** The sensor's uuid; for known ones, its type and when it first connected below it. */
function uuidCell(sensor: Sensor, details: boolean): HTMLElement {
  return h(
    "th",
    { scope: "row", class: "uuid" },
    h("code", null, sensor.uuid),
    details
      ? h(
          "span",
          { class: "ago" },
          sensor.type ? SENSOR_TYPE_LABELS[sensor.type] : "type not set",
          " · first seen ",
          h(
            "time",
            { datetime: sensor.firstSeen, title: sensor.firstSeen },
            localTime(sensor.firstSeen).slice(0, 16),
          ),
        )
      : null,
  );
}

function approveButton(sensor: Sensor, type: () => SensorType, actions: SensorActions, label: string) {
  const button = h("button", { type: "button" }, label);
  button.addEventListener("click", async () => {
    try {
      const chosen = type();
      const { key } = await busy(button, "Approving…", () => approveSensor(sensor.uuid, chosen));
      actions.approved(sensor.uuid, key, chosen);
    } catch (error) {
      actions.said.say(`Sensor ${sensor.uuid} was not approved: ${failureText(error)}`, "error");
      button.focus();
    }
  });
  return button;
}

function deleteButton(sensor: Sensor, actions: SensorActions): HTMLButtonElement {
  const button = h("button", { type: "button", class: "secondary danger-outline" }, "Delete");
  return confirmFirst(button, {
    question: "Delete it? If it connects again it comes back as pending.",
    confirm: "Delete",
    working: "Deleting…",
    run: async () => {
      await deleteSensor(sensor.uuid);
      actions.said.say(`Sensor ${sensor.uuid} deleted.`);
      await actions.changed();
      actions.focusAfter();
    },
    failed: (error) =>
      actions.said.say(`Sensor ${sensor.uuid} was not deleted: ${failureText(error)}`, "error"),
  });
}

function pendingRow(sensor: Sensor, actions: SensorActions): HTMLElement {
  const type = typeSelect(`Type of sensor ${sensor.uuid}`, sensor.type ?? "8");
  return h(
    "tr",
    { "data-uuid": sensor.uuid },
    uuidCell(sensor, false),
    timeCell(sensor.firstSeen),
    timeCell(sensor.lastSeen),
    h("td", { class: "mono" }, sensor.sourceIp ?? "—"),
    h("td", null, type),
    h(
      "td",
      { class: "actions" },
      approveButton(sensor, () => type.value as SensorType, actions, "Approve"),
      deleteButton(sensor, actions),
    ),
  );
}

const STATUS: Record<Sensor["status"], "ok" | "bad" | "warn"> = {
  approved: "ok",
  revoked: "bad",
  pending: "warn",
};

function sensorRow(sensor: Sensor, actions: SensorActions): HTMLElement {
  const buttons: Child[] = [];
  if (sensor.status === "approved") {
    const revoke = h("button", { type: "button", class: "secondary danger-outline" }, "Revoke");
    confirmFirst(revoke, {
      question: "Revoke its key? Its next session is refused.",
      confirm: "Revoke",
      working: "Revoking…",
      run: async () => {
        await revokeSensor(sensor.uuid);
        actions.said.say(`Sensor ${sensor.uuid} revoked: its key no longer works.`);
        await actions.changed();
        actions.focusAfter();
      },
      failed: (error) =>
        actions.said.say(`Sensor ${sensor.uuid} was not revoked: ${failureText(error)}`, "error"),
    });
    buttons.push(revoke);
  } else {
    const type = sensor.type ?? "8";
    buttons.push(approveButton(sensor, () => type, actions, "Approve again"));
  }
  buttons.push(deleteButton(sensor, actions));
  return h(
    "tr",
    { "data-uuid": sensor.uuid, class: sensor.status === "revoked" ? "is-disabled" : undefined },
    uuidCell(sensor, true),
    h("td", null, badge(sensor.status, STATUS[sensor.status])),
    timeCell(sensor.lastSeen, "never"),
    h("td", { class: "mono" }, sensor.sourceIp ?? "—"),
    h("td", { class: "num" }, count(sensor.records)),
    h("td", { class: sensor.rejects > 0 ? "num rejects" : "num" }, count(sensor.rejects)),
    h("td", { class: "num" }, byteSize(sensor.bytes)),
    h("td", { class: "actions" }, buttons),
  );
}

function noSensors(): HTMLElement {
  return empty("No sensor has connected yet.", [
    "A D4 client that connects to this server's D4 endpoint (",
    h("code", null, "serve --d4-listen 0.0.0.0:4443"),
    ", or ",
    h("code", null, "PDNS_PSSL_D4_LISTEN"),
    ") with a uuid the server does not know shows up here as pending, with its address; approve it to ",
    "give it a key. Or create one below and hand its configuration folder to the sensor.",
  ]);
}

function noSecretKey(): HTMLElement {
  return h(
    "div",
    { class: "state error", role: "alert" },
    h(
      "p",
      null,
      h("strong", null, "Sensors need the server's secret key. "),
      "This server has none, so it cannot keep sensor keys.",
    ),
    h(
      "p",
      null,
      "Make one with ",
      h("code", null, "openssl rand -base64 32"),
      ", give it to the server as ",
      h("code", null, "PDNS_PSSL_SECRET_KEY"),
      " (or ",
      h("code", null, "--secret-key"),
      "; the same on every server sharing a Redis store) and restart it. With the embedded store the server " +
        "makes ",
      h("code", null, "<data dir>/secret.key"),
      " itself. Keep it apart from the store's backups: see “The secret key” in the README.",
    ),
  );
}
