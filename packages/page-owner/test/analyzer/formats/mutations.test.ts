/**
 * Mutated texts (truncation, CRLF, NULs, random bytes, lines swapped or dropped) never crash the
 * readers: lenient mode never throws and reports issues; strict mode throws only MmError.
 */
import { isMmError } from "@mm/api";
import { AllocinfoParser, generatePageOwnerDump, PageOwnerStacksParser, SnapshotDiff, SnapshotReader } from "@mm/page-owner";
import { expect, it } from "vitest";
import { allocinfoShow, prng, randomStacks, randomTags, stackPrint } from "./kernel-print.js";

function mutate(text: string, r: () => number): string {
  const lines = text.split("\n");
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const i = Math.floor(r() * lines.length);
    switch (Math.floor(r() * 6)) {
      case 0:
        lines[i] = lines[i].slice(0, Math.floor(r() * lines[i].length));
        break;
      case 1:
        lines[i] += "\r";
        break;
      case 2:
        lines[i] = `${lines[i].slice(0, 3)}\0${lines[i].slice(3)}`;
        break;
      case 3:
        lines[i] = String.fromCharCode(...Array.from({ length: 1 + Math.floor(r() * 30) }, () => Math.floor(r() * 256)));
        break;
      case 4:
        lines.splice(i, 1);
        break;
      default:
        [lines[i], lines[(i + 1) % lines.length]] = [lines[(i + 1) % lines.length], lines[i]];
    }
  }
  return lines.join("\n").slice(0, Math.floor(text.length * (0.5 + r() / 2)));
}

const sources: [string, string][] = [
  ["show_stacks", stackPrint(randomStacks(30, 1), "show_stacks")],
  ["show_handles", stackPrint(randomStacks(30, 2), "show_handles")],
  ["show_stacks_handles", stackPrint(randomStacks(30, 3), "show_stacks_handles")],
  ["allocinfo", allocinfoShow(randomTags(40, 4), "2.0")],
  ["dump", [...generatePageOwnerDump({ seed: 9, bytes: 20_000 })].join("")],
];

it("400 mutated inputs per format: lenient never throws, strict throws only MmError", () => {
  const r = prng(1234);
  let strictThrows = 0;
  for (const [kind, text] of sources) {
    for (let k = 0; k < 400; k++) {
      const m = Buffer.from(mutate(text, r), "latin1");
      for (const strict of [false, true]) {
        try {
          if (kind === "allocinfo") {
            const p = new AllocinfoParser(() => {}, { strict });
            p.push(m);
            p.end();
          } else if (kind === "dump") {
            const d = new SnapshotDiff();
            const rd = new SnapshotReader(d, 0, { strict });
            rd.push(m);
            rd.end();
          } else {
            const p = new PageOwnerStacksParser(() => {}, { strict });
            p.push(m);
            p.end();
          }
        } catch (e) {
          expect(strict || (kind === "dump" && isMmError(e, "BAD_CONFIG")), `${kind} lenient threw ${String(e)}`).toBe(true);
          expect(isMmError(e), String(e)).toBe(true);
          strictThrows++;
        }
      }
    }
  }
  expect(strictThrows).toBeGreaterThan(500); // the mutations do break things
});
