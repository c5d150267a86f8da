// The operator console in a real browser (Debian's chromium, driven by playwright-core), against a
// real gateway that the calling test (tests/integration/TestConsole.cpp) started with three
// stations. Prints "STEP name" lines the test acts on, saves screenshots, exits non-zero on failure.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const URL = env("LOA_URL");
const ARTIFACTS = env("LOA_ARTIFACTS");
const SEGMENT = env("LOA_SEGMENT");
const tokens = { alice: env("LOA_ALICE"), bob: env("LOA_BOB"), vera: env("LOA_VERA"), olga: env("LOA_OLGA") };
mkdirSync(ARTIFACTS, { recursive: true });

const step = (name) => console.log(`STEP ${name}`);
const check = (ok, what) => { if (!ok) throw new Error(what); };
const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, name + ".png"), fullPage: true });

const browser = await chromium.launch({
  executablePath: process.env.LOA_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-quic", "--no-first-run"],
});
const failures = [];
async function signIn(who, locale) {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on("pageerror", (e) => failures.push(`${who}: page error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") failures.push(`${who}: console: ${m.text()}`); });
  await page.goto(URL + "/");
  check(page.url().endsWith("/console/"), `/ leads to the console, not ${page.url()}`);
  await page.fill("#token", tokens[who]);
  await page.click("#login button[type=submit]");
  await page.waitForSelector("#tabs:not([hidden])", { timeout: 10000 });
  return page;
}
const tab = (page, name) => page.click(`#tab-${name}`);

try {
  // A wrong token is refused with a message, and nothing else shows.
  {
    const context = await browser.newContext({ locale: "en-GB" });
    const page = await context.newPage();
    await page.goto(URL + "/console/");
    await page.fill("#token", "loa_not_a_token");
    await page.click("#login button[type=submit]");
    await page.waitForSelector("#login-error:has-text('not accepted')");
    check(await page.isHidden("#tabs"), "tabs shown without a valid token");
    await context.close();
  }

  // Overview, live: the programme on air, its meter moving, three stations online.
  const alice = await signIn("alice", "en-GB");
  step("signed-in");
  await alice.waitForSelector("[data-programme=national] .on-air:has-text('playlist')");
  await alice.waitForFunction(() => document.getElementById("count-online").textContent === "3", null, { timeout: 15000 });
  await alice.waitForFunction(() => Number(document.querySelector("[data-programme=national] .meter").getAttribute("aria-valuenow")) > -40,
    null, { timeout: 5000 });
  await alice.waitForSelector("#connection.live:has-text('live')", { timeout: 10000 });  // the event stream
  await shot(alice, "1-overview");

  // Stations: the table, a filter by area, and a station going offline turns red.
  await tab(alice, "stations");
  await alice.waitForSelector("tr.station[data-station=hue-1].online");
  check((await alice.locator("tr.station").count()) === 3, "three rows");
  await alice.fill("#filter-area", "01");
  await alice.waitForFunction(() => document.querySelectorAll("tr.station").length === 2);
  await alice.fill("#filter-area", "");
  step("offline-wanted");  // the test stops hue-1's receiver now
  const offlineFrom = Date.now();
  await alice.waitForSelector("tr.station[data-station=hue-1].offline", { timeout: 20000 });
  console.log(`MEASURE hue-1 shown offline ${Date.now() - offlineFrom} ms after its receiver was stopped`);
  await shot(alice, "2-stations-offline");
  await alice.click("#view-toggle");
  await alice.waitForSelector("#station-tree summary:has-text('46')");
  await alice.click("#view-toggle");

  // A test emergency: blue, worded TEST, to the one station that accepts tests.
  await tab(alice, "emergency");
  await alice.check("#target-all");
  await alice.waitForSelector("#alert-summary:has-text('TEST to 1 station')");
  check((await alice.getAttribute("#alert-form", "class")).includes("test"), "a test looks like a test");
  check(await alice.isEnabled("#send-alert"), "a test needs no typed confirmation");
  await alice.click("#send-alert");
  await alice.waitForSelector("#emergency-list .alert.test[data-state=active]");
  step("test-on-air");
  await alice.waitForTimeout(1500);
  await shot(alice, "3-test-on-air");
  await alice.click("#emergency-list .alert.test button.cancel");
  await alice.waitForSelector("#emergency-list .alert", { state: "detached" });
  step("test-cancelled");

  // An actual emergency for area 01: red, and impossible to send without typing the phrase.
  await alice.uncheck("#target-all");
  await alice.check("input[name=status][value=actual]");
  await alice.check("#target-tree input[data-area='01']");
  await alice.waitForSelector("#alert-summary:has-text('ACTUAL EMERGENCY to 2 station')");
  check((await alice.getAttribute("#alert-form", "class")).includes("actual"), "an actual alert looks different");
  check(await alice.isDisabled("#send-alert"), "actual: sending is disabled before the phrase is typed");
  await alice.fill("#confirm-text", "actual");
  check(await alice.isDisabled("#send-alert"), "a wrong phrase does not enable sending");
  await alice.fill("#confirm-text", "ACTUAL EMERGENCY");
  check(await alice.isEnabled("#send-alert"), "the typed phrase enables sending");
  await shot(alice, "4-actual-typed");
  await alice.click("#send-alert");
  await alice.waitForSelector("#emergency-list .alert.actual[data-state=pending]:has-text('second operator')");
  check(await alice.locator("#emergency-list .alert.actual button.confirm").count() === 0, "no confirming one's own alert");
  await shot(alice, "5-actual-pending");

  // The second operator, in Vietnamese: confirms it.
  const bob = await signIn("bob", "vi-VN");
  check((await bob.textContent("#tab-emergency")) === "Khẩn cấp", "Vietnamese for a Vietnamese browser");
  await tab(bob, "emergency");
  await bob.click("#emergency-list .alert.actual[data-state=pending] button.confirm");
  await bob.waitForSelector("#emergency-list .alert.actual[data-state=active]");
  step("actual-on-air");
  await shot(bob, "6-actual-confirmed-vi");
  // Alice's page follows by itself (the event stream), then she stops it with one button.
  await alice.waitForSelector("#emergency-list .alert.actual[data-state=active]", { timeout: 5000 });
  await alice.waitForTimeout(1500);
  await alice.click("#emergency-list .alert.actual button.cancel");
  await alice.waitForSelector("#emergency-list .alert", { state: "detached" });
  step("actual-cancelled");

  // Every step is in the audit log the page shows.
  await tab(alice, "audit");
  // (in words, "emergency confirmed", with the action's name beside them for who searches by it)
  await alice.waitForSelector("#audit-rows td[title='emergency.confirm']:has-text('emergency confirmed')");
  for (const action of ["emergency.trigger", "emergency.confirm", "emergency.cancel"])
    check(await alice.isVisible(`#audit-rows td[title='${action}']`), `the audit log shows ${action}`);
  check(!(await alice.textContent("#audit-rows")).includes('{"'), "audit details are words, not raw JSON");
  await shot(alice, "7-audit");

  // Switchable language.
  await alice.selectOption("#language", "vi");
  check((await alice.textContent("#tab-audit")) === "Nhật ký", "switched to Vietnamese");
  await alice.selectOption("#language", "en");

  // A viewer sees, but has no alert form.
  const vera = await signIn("vera", "en-GB");
  await tab(vera, "emergency");
  check(await vera.isHidden("#alert-form"), "a viewer cannot send an alert");
  check((await vera.textContent("#alert-why")).includes("viewer"), "and is told why");

  // An operator uploads a segment and schedules it; the week shows it; it is removed again.
  const olga = await signIn("olga", "en-GB");
  await tab(olga, "schedule");
  await olga.setInputFiles("#upload-file", SEGMENT);
  await olga.click("#upload-form button[type=submit]");
  await olga.waitForSelector("#upload-status:has-text('Uploaded')");
  await olga.fill("#entry-id", "evening-news");
  await olga.fill("#entry-at", "18:30:00");
  for (const d of ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]) await olga.check(`#entry-days input[value=${d}]`);
  await olga.selectOption("#entry-priority", "bulletin");
  await olga.click("#entry-form button[type=submit]");
  await olga.waitForSelector("#entry-error:has-text('Saved')");
  await olga.waitForFunction(() => document.querySelectorAll("#week button[data-entry=evening-news]").length === 7);
  await shot(olga, "8-schedule");
  await olga.click("#week button[data-entry=evening-news] >> nth=0");
  await olga.click("#entry-remove");
  await olga.waitForFunction(() => document.querySelectorAll("#week button[data-entry=evening-news]").length === 0);
  // An entry without days plays every day: the week shows it on each, and says in which zone.
  await olga.fill("#entry-id", "daily-chime");
  await olga.fill("#entry-at", "07:00:00");
  for (const d of ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]) await olga.uncheck(`#entry-days input[value=${d}]`);
  await olga.click("#entry-form button[type=submit]");
  await olga.waitForSelector("#entry-error:has-text('Saved')");
  await olga.waitForFunction(() => document.querySelectorAll("#week button[data-entry=daily-chime]").length === 7);
  check((await olga.textContent("#week-zone")).includes("every day"), "the week says its time zone");
  await olga.click("#week button[data-entry=daily-chime] >> nth=3");
  await olga.click("#entry-remove");
  await olga.waitForFunction(() => document.querySelectorAll("#week button[data-entry=daily-chime]").length === 0);
  await tab(olga, "health");
  await olga.waitForSelector("#metrics:has-text('loa_fanout_packets_total')");
  await shot(olga, "9-health");

  check(failures.length === 0, "page errors: " + failures.join("; "));
  step("done");
} catch (e) {
  console.error("FAILED: " + e.message);
  for (const page of browser.contexts().flatMap((c) => c.pages())) {
    await page.screenshot({ path: join(ARTIFACTS, `failure-${Date.now()}.png`), fullPage: true }).catch(() => {});
  }
  if (failures.length) console.error(failures.join("\n"));
  await browser.close();
  process.exit(1);
}
await browser.close();
