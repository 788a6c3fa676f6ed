// The reference: Node's `mjml` compiler renders one MJML file, warm, in process.
// Usage: node mjml_node.js <mjml package folder> <file.mjml> <runs>
// Prints one JSON line: {"version": "...", "ms": [per-run milliseconds]}.
const path = require("path");
const fs = require("fs");
const [pkg, file, runsArg] = process.argv.slice(2);
const mjml = require(pkg);
const version = JSON.parse(fs.readFileSync(path.join(pkg, "package.json"), "utf8")).version;
const source = fs.readFileSync(file, "utf8");
const runs = Number(runsArg || 15);
// The same options our build gives mjml-python: no font links, no comments, no validation pass.
const options = { validationLevel: "skip", fonts: {}, keepComments: false };

async function main() {
  // warm-up: JIT tiers and caches. After 5 renders Node was still 2-3x its steady time (40 renders),
  // which flattered our ratio.
  for (let i = 0; i < 40; i++) await mjml(source, options);
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const out = await mjml(source, options);
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (!out.html) throw new Error("mjml returned no HTML");
  }
  console.log(JSON.stringify({ version, ms }));
}
main().catch((err) => {
  console.error(String(err));
  process.exit(1);
});
