#!/usr/bin/env python3
"""Lists the public items of tether's crates whose docs have no example.

Reads the rustdoc JSON that `scripts/doc_examples.sh` makes. An item is a
module, type, trait, function, inherent method, trait method, constant or
macro reachable from the crate root; a re-export counts in the crate that
defines the item, once. Fields and enum variants are documented too
(`deny(missing_docs)`) but shown by their type's example, and trait
implementations by the trait's docs. An example is a fenced code block
other than a `text` one. Exits 1 if any item lacks one.
"""

import json
import re
import sys

CRATES = ["tether_bridge", "tether_reactor", "tether_executor", "tether"]
ITEMS = {"module", "struct", "enum", "union", "trait", "function", "type_alias",
         "constant", "static", "macro"}
FENCE = re.compile(r"^\s*```(.*)$", re.M)


def has_example(docs):
    return any(lang.strip() not in ("text",) for lang in FENCE.findall(docs or "")[::2])


def missing_in(doc_dir, crate):
    index = json.load(open(f"{doc_dir}/{crate}.json"))
    items, seen, checked, found = index["index"], set(), [0], []

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
        checked[0] += kind in ITEMS
        if kind in ITEMS and not has_example(item.get("docs")):
            span = item.get("span") or {}
            found.append(f"{path}  ({span.get('filename', '?')}:{span.get('begin', [0])[0]})")
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
    return checked[0], found


def main():
    doc_dir = sys.argv[1]
    total_missing = 0
    for crate in CRATES:
        checked, missing = missing_in(doc_dir, crate)
        total_missing += len(missing)
        print(f"{crate}: {len(missing)} of {checked} public items without an example")
        for item in missing:
            print(f"  {item}")
    sys.exit(1 if total_missing else 0)


if __name__ == "__main__":
    main()
