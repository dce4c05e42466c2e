// Opens clnet's pages in Debian's chromium (puppeteer-core drives the system browser; nothing
// is downloaded) and clicks through them as a person would, at 1280 and 800 pixels wide:
//
//   node pages.mjs SWEEP_DIR SHOTS_DIR [RUNS]
//
// SWEEP_DIR holds a finished sweep of RUNS runs (3 unless given; test_browser.c gives 4: index.html and its runs'
// folders); the screenshots (sweep-1280.png, run-800.png, ...) go to SHOTS_DIR. Every request that is
// not file:// is blocked and fails the run, and so does any console error, uncaught exception
// or failed file:// load. Before trusting itself it checks that it catches a planted script
// error and a planted network request. CLNET_BROWSER_PLANT=script plants a script error into
// SWEEP_DIR/index.html itself (to show that the suite then fails). Prints "ok - ..." per check;
// exits 1 at the first failure. tests/browser/test_browser.c runs it (meson suite "browser").
import fs from "node:fs";
import path from "node:path";
import os from "node:os";
import puppeteer from "puppeteer-core";

const [sweepDir, shotsDir, runsArg] = process.argv.slice(2);
const expectRuns = Number(runsArg || 3);
if (!sweepDir || !shotsDir || !(expectRuns > 0)) {
  console.error("usage: node pages.mjs SWEEP_DIR SHOTS_DIR [RUNS]");
  process.exit(2);
}
const chromium = process.env.CLNET_CHROMIUM || "/usr/bin/chromium";
const sweepPage = path.resolve(sweepDir, "index.html");
const url = (file) => "file://" + file;

class Failure extends Error {}
function check(cond, what) {
  if (!cond) throw new Failure(what);
  console.log("ok - " + what);
}

// A tab that records what must not happen: a request that is not file://, a console error, an
// uncaught exception, a file:// load that failed (a missing image).
async function tab(browser, width) {
  const page = await browser.newPage();
  await page.setViewport({ width: width, height: 900 });
  const bad = [];
  await page.setRequestInterception(true);
  page.on("request", (r) => {
    if (r.url().startsWith("file://")) return r.continue();
    bad.push("a request not to file://: " + r.url());
    return r.abort("blockedbyclient");
  });
  page.on("console", (m) => {
    if (m.type() === "error") bad.push("console error: " + m.text());
  });
  page.on("pageerror", (e) => bad.push("uncaught: " + e.message));
  page.on("requestfailed", (r) => {
    if (r.url().startsWith("file://")) bad.push("failed to load " + r.url());
  });
  return { page, bad };
}

async function open(t, file) {
  await t.page.goto(url(file), { waitUntil: "load" });
  await t.page.waitForSelector("body[data-ready]", { timeout: 5000 }).catch(() => {});
}

function clean(t, what) {
  check(t.bad.length === 0, what + (t.bad.length ? ": " + t.bad.join("; ") : ""));
}

// ---- the sweep page ----------------------------------------------------------------------

async function cellTexts(page, column) {
  return page.$$eval("table.runs tbody tr", (rows, c) =>
    rows.filter((r) => !r.hidden).map((r) => r.children[c].textContent), column);
}

async function checkSorting(page) {
  const header = await page.$$("table.runs thead th");
  const labels = await page.$$eval("table.runs thead th", (ths) => ths.map((t) => t.textContent));
  const k = labels.indexOf("final test accuracy");
  check(k > 0, "the table has a final test accuracy column");
  /* the numbers in order, then the blank cells (a run that gave none) last either way */
  const column = async () => {
    const texts = await cellTexts(page, k);
    const first = texts.findIndex((t) => t === "");
    check(first < 0 || texts.slice(first).every((t) => t === ""), "blank cells sort last");
    return texts.filter((t) => t !== "").map(Number);
  };
  await header[k].click();
  const down = await column();
  check(down.length > 0 && down.every((v, i) => i === 0 || down[i - 1] >= v),
        "one click on the accuracy header sorts largest first: " + down.join(", "));
  await header[k].click();
  const up = await column();
  check(up.every((v, i) => i === 0 || up[i - 1] <= v) && up.join() === down.reverse().join(),
        "a second click reverses it: " + up.join(", "));
  const rows = await page.$$eval("table.runs tbody tr", (r) => r.map((x) => x.textContent));
  const names = await cellTexts(page, 1);
  const only = names.find((n) => rows.filter((r) => r.includes(n)).length === 1);
  check(only, "a run name to filter by that no other row contains: " + only);
  await page.type("#filter", only);
  const shown = await cellTexts(page, 1);
  check(shown.length === 1 && shown[0] === only, "the filter keeps the rows that match");
  await page.$eval("#filter", (f) => { f.value = ""; f.dispatchEvent(new Event("input")); });
}

const seriesShown = (page, c, s) => page.evaluate((c, s) =>
  window.clnetPage.charts.map((u) => u.series[s].show), c, s);
// The chart's pixels once it has drawn (uPlot draws on the next animation frame).
const canvas = (page, c) => page.evaluate((c) => new Promise((done) =>
  requestAnimationFrame(() => done(window.clnetPage.charts[c].ctx.canvas.toDataURL()))), c);

const label = (page, s) => page.evaluate((s) => window.clnetPage.charts[0].series[s].label, s);
// Whether the table row of series s (the rows may be sorted) has its box ticked.
const tickBox = async (page, s) => page.$eval(
  `table.runs input[aria-label="show ${await label(page, s)}"]`, (b) => b.checked);

// Every run's curve, in every chart, hidden and shown again by a click on its legend entry
// (which hides it in all three charts and unticks its row), and by its row's tick box.
async function checkToggling(page, runs) {
  const charts = await page.evaluate(() => window.clnetPage.charts.length);
  check(charts === 3, "three charts: test accuracy, test loss, learning rate");
  const seriesCount = await page.evaluate(() => window.clnetPage.charts.map((u) => u.series.length));
  check(seriesCount.every((n) => n === runs + 1), "a curve per run in each: " + seriesCount);
  for (let c = 0; c < charts; c++) {
    for (let s = 1; s <= runs; s++) {
      const before = await canvas(page, c);
      const items = await (await page.$$(".chart"))[c].$$(".u-legend .u-series");
      await items[s].click();
      const hidden = await seriesShown(page, c, s);
      const ticked = await tickBox(page, s);
      const off = await items[s].evaluate((e) => e.classList.contains("u-off"));
      const drawn = await page.evaluate((c, s) =>
        window.clnetPage.charts[c].data[s].some((v) => v != null), c, s);
      check(hidden.every((v) => v === false) && off && !ticked &&
            ((await canvas(page, c)) !== before || !drawn),
            `chart ${c + 1}: run ${s} hidden by its legend entry (everywhere` +
            (drawn ? ", drawing changed)" : "; it has no points)"));
      await items[s].click();
      const shown = await seriesShown(page, c, s);
      check(shown.every((v) => v === true) && (await canvas(page, c)) === before,
            `chart ${c + 1}: run ${s} shown again`);
    }
  }
  for (let s = 1; s <= runs; s++) {
    const box = await page.$(`table.runs input[aria-label="show ${await label(page, s)}"]`);
    await box.click();
    check((await seriesShown(page, 0, s)).every((v) => v === false),
          `run ${s} hidden in every chart by its row's box`);
    await box.click();
    check((await seriesShown(page, 0, s)).every((v) => v === true), `run ${s} shown again`);
  }
}

// Dragging across a chart zooms its x axis, a double click zooms back out; the legend shows
// the values under the cursor.
async function checkZoomAndHover(page) {
  const over = await page.$(".chart .u-over");
  await over.scrollIntoView();
  const box = await over.boundingBox();
  const range = () => page.evaluate(() => {
    const x = window.clnetPage.charts[0].scales.x;
    return [x.min, x.max];
  });
  const full = await range();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
  const values = await page.$$eval(".chart:first-of-type .u-legend .u-series .u-value",
                                   (v) => v.slice(1).map((e) => e.textContent));
  check(values.some((v) => /\d/.test(v)), "hovering shows the runs' values in the legend: " +
        values.join(" "));
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.7, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  const zoomed = await range();
  check(zoomed[0] > full[0] && zoomed[1] < full[1], `dragging zooms: ${full} -> ${zoomed}`);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2, { clickCount: 2 });
  const back = await range();
  check(back[0] === full[0] && back[1] === full[1], "a double click zooms back out");
}

// ---- the run page ------------------------------------------------------------------------

async function checkRunPage(t, name, width) {
  const page = t.page;
  const h1 = await page.$eval("h1", (e) => e.textContent);
  check(h1 === name, `the run page of ${name} opened (${width} px)`);
  const config = await page.$eval("pre.config", (e) => e.textContent);
  check(config.includes("model:") && config.includes("optimizer:"), "it shows the config");
  const marked = await page.$$eval("pre.config .diff", (d) => d.length);
  const diffs = await page.evaluate(() => window.clnetPage.data.run.diffs.map((d) => d.key));
  check((marked > 0) === (diffs.length > 0) && marked <= diffs.length,
        `the lines that differ from the sweep are marked: ${marked} for ${diffs.join(", ")}`);
  const charts = await page.evaluate(() => window.clnetPage.charts.map(
    (u) => [u.root.parentNode.id, u.data[0].length, u.width]));
  check(charts.length >= 3 && charts.every((c) => c[1] > 0 && c[2] > 0 && c[2] <= width),
        "its curves are drawn within the page: " + JSON.stringify(charts));
  const header = fs.readFileSync(path.join(sweepDir, name, "metrics.csv"), "utf8")
    .split("\n")[0].split(",");
  const terms = header.filter((c) => c.startsWith("test_loss_")).map((c) => c.slice(10));
  if (terms.length) return checkTermsRunPage(page, name, terms);
  // The mini-batch curve is steps.csv's, a point per step with the file's values (not one per
  // evaluation from metrics.csv), in the accuracy and the loss chart.
  const steps = fs.readFileSync(path.join(sweepDir, name, "steps.csv"), "utf8").trim()
    .split("\n").slice(1).map((l) => l.split(",").map(Number)); // iteration,train_loss,train_acc
  const evals = fs.readFileSync(path.join(sweepDir, name, "metrics.csv"), "utf8").trim()
    .split("\n").length - 1;
  const drawn = await page.evaluate(() => window.clnetPage.charts
    .filter((u) => ["chart-accuracy", "chart-loss"].includes(u.root.parentNode.id))
    .map((u) => [u.root.parentNode.id, u.series[1].label,
                 u.data[0].filter((x, i) => u.data[1][i] != null),
                 u.data[1].filter((v) => v != null)]));
  check(drawn.length === 2, "an accuracy and a loss chart");
  for (const [id, label, xs, ys] of drawn) {
    const col = id === "chart-accuracy" ? 2 : 1;
    check(label.includes("every step") && steps.length > evals && xs.length === steps.length &&
          xs.every((x, i) => x === steps[i][0]) && ys.every((y, i) => y === steps[i][col]),
          `${id}: '${label}' is steps.csv's ${steps.length} steps (${evals} evaluations)`);
  }
  const img = await page.$eval("#predictions img", (i) => [i.complete, i.naturalWidth]);
  check(img[0] && img[1] > 0, "the predictions grid is shown");
  const rows = await page.$$eval("#summary table tr", (r) => r.map((x) => x.textContent));
  check(rows.some((r) => r.startsWith("status")), "summary.json is a table");
  return marked;
}

// A run whose train.loss is a list of terms without a classification term: no accuracy chart
// (its accuracies are nan), a loss chart, and a chart of the terms whose curves are
// metrics.csv's test_loss_NAME columns.
async function checkTermsRunPage(page, name, terms) {
  const rows = fs.readFileSync(path.join(sweepDir, name, "metrics.csv"), "utf8").trim()
    .split("\n");
  const cols = rows[0].split(",");
  const want = terms.map((t) => rows.slice(1).map((r) => Number(r.split(",")[cols.indexOf(
    "test_loss_" + t)])));
  const drawn = await page.evaluate(() => window.clnetPage.charts.map((u) => [
    u.root.parentNode.id, u.series.slice(1).map((s) => s.label), u.data.slice(1)]));
  const ids = drawn.map((c) => c[0]);
  check(!ids.includes("chart-accuracy") && ids.includes("chart-loss"),
        `${name}: no accuracy chart without a classification term, a loss chart: ${ids}`);
  const chart = drawn.find((c) => c[0] === "chart-terms");
  check(chart && chart[1].join() === terms.join() &&
        chart[2].every((ys, i) => ys.length === want[i].length &&
                                  ys.every((y, j) => y === want[i][j])),
        `${name}: the terms chart draws ${terms.join(", ")} as metrics.csv's test_loss_ columns`);
  return 0;
}

// ---- a whole pass ------------------------------------------------------------------------

async function pass(browser, width) {
  const t = await tab(browser, width);
  await open(t, sweepPage);
  const runs = await t.page.$$eval("table.runs tbody tr", (r) => r.length);
  check(runs === expectRuns, `the sweep page shows ${expectRuns} runs (${width} px)`);
  clean(t, "the sweep page loaded with no error and no request outside file://");
  const wide = await t.page.evaluate(() => document.documentElement.scrollWidth);
  check(wide <= width, `nothing wider than the window (${wide} <= ${width})`);
  await checkSorting(t.page);
  await checkToggling(t.page, runs);
  await checkZoomAndHover(t.page);
  await t.page.screenshot({ path: path.join(shotsDir, `sweep-${width}.png`), fullPage: true });
  clean(t, "no error while using it");
  const links = await t.page.$$eval("table.runs tbody a", (a) => a.map((x) => x.textContent));
  let marked = 0;
  for (let i = 0; i < links.length; i++) {
    const link = await t.page.evaluateHandle((name) => Array.from(
      document.querySelectorAll("table.runs tbody a")).find((a) => a.textContent === name),
      links[i]);
    await Promise.all([t.page.waitForNavigation({ waitUntil: "load" }), link.click()]);
    await t.page.waitForSelector("body[data-ready]", { timeout: 5000 });
    marked += await checkRunPage(t, links[i], width);
    if (i === 0)
      await t.page.screenshot({ path: path.join(shotsDir, `run-${width}.png`), fullPage: true });
    clean(t, `the run page of ${links[i]} has no error`);
    await Promise.all([t.page.waitForNavigation({ waitUntil: "load" }), t.page.click("#back")]);
    await t.page.waitForSelector("body[data-ready]", { timeout: 5000 });
  }
  check(marked > 0, "the runs' pages mark the config lines that differ: " + marked);
  await t.page.close();
}

// The checks above must see what they are there to see: a copy of the sweep page with a
// script error, and one that asks the network for an image.
async function selfCheck(browser) {
  const page = fs.readFileSync(sweepPage, "utf8");
  const planted = {
    "a script error": ["<script>window.clnetPlanted.boom();</script>", "boom"],
    "a network request": ['<img src="http://192.0.2.1/planted.png" alt="">', "192.0.2.1"],
  };
  /* the network request twice: stopped by the page's own Content-Security-Policy (a console
   * error), and, without that policy, by the interception */
  const noPolicy = page.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, "");
  check(noPolicy !== page, "the page states a Content-Security-Policy");
  const cases = Object.entries(planted).map(([what, html]) => [what, page, html])
    .concat([["a network request, without the page's policy", noPolicy, planted["a network request"]]]);
  for (const [what, text, [html, sign]] of cases) {
    const file = path.join(path.dirname(sweepPage), ".planted.html");
    fs.writeFileSync(file, text.replace("</body>", html + "\n</body>"));
    const t = await tab(browser, 1280);
    await open(t, file);
    fs.unlinkSync(file);
    await t.page.close();
    check(t.bad.some((b) => b.includes(sign)),
          `a page with ${what} planted is caught: ${t.bad.join("; ")}`);
  }
}

async function main() {
  fs.mkdirSync(shotsDir, { recursive: true });
  if (process.env.CLNET_BROWSER_PLANT === "script") {
    const html = fs.readFileSync(sweepPage, "utf8");
    fs.writeFileSync(sweepPage, html.replace("</body>",
      "<script>undefinedFunctionPlantedByTheTest();</script>\n</body>"));
    console.log("planted a script error into " + sweepPage);
  }
  const root = process.getuid && process.getuid() === 0; /* chromium's sandbox refuses root */
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "clnet-chromium-"));
  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    userDataDir: profile,
    args: (root ? ["--no-sandbox"] : []).concat(["--disable-gpu", "--no-first-run",
      "--disable-extensions", "--disable-background-networking", "--disable-sync",
      "--disable-component-update", "--disable-default-apps"]),
  });
  try {
    await selfCheck(browser);
    for (const width of [1280, 800]) await pass(browser, width);
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

const t0 = Date.now();
main().then(() => {
  console.log(`pages: all checks passed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}, (e) => {
  console.log("FAIL: " + (e instanceof Failure ? e.message : e.stack || e));
  process.exit(1);
});
