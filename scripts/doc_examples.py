#!/usr/bin/env python3
"""Checks that tether's public items are shown by a runnable example.

Reads the rustdoc JSON that `scripts/doc_examples.sh` makes. An item is a
module, type, trait, function, inherent method, trait method, constant or
macro reachable from the crate root; a re-export counts in the crate that
defines the item, once (statics, unions and type aliases count too). The
rule:

- Every module, type and trait has an example of its own: a fenced code
  block other than a `text` one.
- A function or method has one too, unless its behaviour is plain from its
  signature (an accessor, a conversion). Such an item says where it is shown
  instead, with a link to that example, written
  ``[`TcpStream`'s example](TcpStream#examples)``. The link must lead to an
  item that has an example, and that example's code must call the item by
  name, so the pointer cannot go stale.

Fields and enum variants are documented too (`deny(missing_docs)`) and shown
by their type's example; trait implementations by the trait's docs. Prints
each item that breaks the rule and exits 1 if there is one.
"""

import json
import re
import sys

CRATES = ["tether_bridge", "tether_reactor", "tether_executor", "tether"]
ITEMS = {"module", "struct", "enum", "union", "trait", "function", "type_alias",
         "constant", "static", "macro"}
# Kinds that may point to another item's example instead of having their own.
MAY_POINT = {"function"}
FENCE = re.compile(r"^\s*```(.*)$", re.M)


def examples(docs):
    """The code of every non-`text` fenced block in `docs`."""
    blocks, lang, lines = [], None, None
    for line in (docs or "").splitlines():
        fence = FENCE.match(line)
        if fence and lines is None:
            lang, lines = fence.group(1).strip(), []
        elif fence:
            if lang != "text":
                blocks.append("\n".join(lines))
            lang, lines = None, None
        elif lines is not None:
            lines.append(line)
    return blocks


def check(doc_dir, crate):
    index = json.load(open(f"{doc_dir}/{crate}.json"))
    items, seen = index["index"], set()
    counts = {"own": 0, "shown": 0}
    broken = []

    def where(item):
        span = item.get("span") or {}
        return f"{span.get('filename', '?')}:{span.get('begin', [0])[0]}"

    def pointer_ok(item):
        """Whether `item` names an example elsewhere that calls it."""
        for target, target_id in (item.get("links") or {}).items():
            if not target.endswith("#examples"):
                continue
            shown_in = items.get(str(target_id))
            code = "\n".join(examples(shown_in.get("docs"))) if shown_in else ""
            if re.search(rf"\b{re.escape(item['name'])}\b", code):
                return True
        return False

    def visit(id, path):
        item = items.get(str(id))
        if item is None or str(id) in seen or item["crate_id"] != 0:
            return
        seen.add(str(id))
        kind, inner = next(iter(item["inner"].items()))
        if kind == "use":
            if inner.get("id") is not None:
                visit(inner["id"], path)
            return
        if kind in ITEMS:
            if examples(item.get("docs")):
                counts["own"] += 1
            elif kind in MAY_POINT and pointer_ok(item):
                counts["shown"] += 1
            else:
                broken.append(f"{path}  ({where(item)})")
        children = []
        if kind in ("module", "trait"):
            children = inner["items"]
        elif kind in ("struct", "enum", "union"):
            for impl_id in inner["impls"]:
                impl = items.get(str(impl_id), {}).get("inner", {}).get("impl")
                if impl and impl["trait"] is None and not impl["is_synthetic"] \
                        and impl["blanket_impl"] is None:
                    children += [m for m in impl["items"]
                                 if items.get(str(m), {}).get("visibility") == "public"]
        for child in map(str, children):
            # A trait's items have no visibility of their own.
            if child in items and (kind == "trait" or items[child]["visibility"] == "public"):
                use = items[child]["inner"].get("use")
                visit(child, f"{path}::{use['name'] if use else items[child]['name']}")

    visit(index["root"], crate)
    return counts, broken


def main():
    doc_dir = sys.argv[1]
    total_broken = 0
    for crate in CRATES:
        counts, broken = check(doc_dir, crate)
        total_broken += len(broken)
        checked = counts["own"] + counts["shown"] + len(broken)
        print(f"{crate}: {checked} public items: {counts['own']} with an example, "
              f"{counts['shown']} shown by another's, {len(broken)} with neither")
        for item in broken:
            print(f"  {item}")
    sys.exit(1 if total_broken else 0)


if __name__ == "__main__":
    main()
