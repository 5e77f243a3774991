"""Stage 3 orders: the sequences in which a repository's analysed documents can be read.

`pathways.py` turns these orders into courses; this module only decides who comes before whom.
Everything is read from the stage-2 analyses (plain dicts, see `read_doc`) and the repository's
own structure, nothing is invented, and every tie is broken by a stated rule so the same input
always gives the same order:

- `Corpus.reading` — the project's own order: the overview's toctree depth first (nested index
  pages' toctrees in place, globs resolved against the known paths, sorted as Sphinx does),
  then the pages reached pages link to (breadth first), then what is left in path order.
- `foundations` — a topological order over `Corpus.before` (see `Corpus._dependencies`),
  ties broken by focus, complexity (beginner first) and the reading order; a cycle is broken
  at its easiest, earliest page.
- `hands_on` — tutorials and how-tos lead, each right after the pages it needs and followed
  by the concept pages it builds on; the API last. `api_dive`, `quick_start` and `by_folder`
  are the optional and fallback orders.

Documents are `analysed.Doc` (from `analysed.read_doc`), with their reading times.
"""

from __future__ import annotations

import fnmatch
import heapq
import posixpath
import re
from collections import deque
from collections.abc import Iterable

from studyforge.repo_courses.analysed import EXT, LEADERS, LOOKUP, Doc

_BACKGROUND = ("concept", "reference")  # what a hands-on page is followed by
_GLOB = re.compile(r"[*?\[]")


def _plain(text: str) -> str:
    """Case-folded words joined by single spaces: what names are compared as."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def _grams(text: str, longest: int = 16) -> set[str]:
    """Every run of up to `longest` words of `text` (`_plain`), for whole-word lookups."""
    words = _plain(text).split()
    return {" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, i + longest + 1)}


class Corpus:
    """The kept documents with their structure resolved: names, toctree children, the root,
    the reading order (`reading`, `rank`), sections and dependencies (`before`)."""

    def __init__(self, docs: Iterable[Doc], overview: str | None) -> None:
        self.docs = sorted(docs, key=lambda d: (d.path, d.id))
        self.by_id = {d.id: d for d in self.docs}
        self._names: dict[str, Doc] = {}
        for d in self.docs:  # exact paths win over stems, stems over folder index pages
            self._names.setdefault(d.path, d)
        for d in self.docs:
            self._names.setdefault(d.stem, d)
        for d in self.docs:
            if d.index_page:
                self._names.setdefault(d.folder, d)
        self._called: dict[str, list[Doc]] = {}  # path, stem or title -> documents
        self._about: dict[str, list[Doc]] = {}  # key concept -> documents
        for d in self.docs:
            for name in {_plain(d.path), _plain(d.stem), _plain(d.title)}:
                if len(name) >= 3:
                    self._called.setdefault(name, []).append(d)
            for idea in {_plain(c) for c in d.concepts}:
                self._about.setdefault(idea, []).append(d)
        self.children = {d.id: self._children(d) for d in self.docs}
        self.parent: dict[str, Doc] = {}
        for d in self.docs:
            for child in self.children[d.id]:
                self.parent.setdefault(child.id, d)
        self.root = (self.resolve(overview) if overview else None) or self._fallback_root()
        self.reading = self._reading()
        self.rank = {d.id: i for i, d in enumerate(self.reading)}
        hubs = {d.id for d in self.docs if self.children[d.id] or d.doc_type == "overview"}
        self.hubs = hubs | ({self.root.id} if self.root else set())
        self.before = {d.id: self._dependencies(d) for d in self.reading}

    def resolve(self, target: str) -> Doc | None:
        """The document a link, toctree entry or path names (extension and #anchor optional)."""
        name = target.split("#")[0].strip().removeprefix("./").rstrip("/")
        if not name:
            return None
        name = posixpath.normpath(name)
        return self._names.get(name) or self._names.get(EXT.sub("", name))

    def expand(self, entry: str) -> list[Doc]:
        """A toctree entry's documents: a glob matches stems, sorted as Sphinx sorts them."""
        if _GLOB.search(entry):
            return sorted(
                (d for d in self.docs if fnmatch.fnmatchcase(d.stem, entry)), key=lambda d: d.stem
            )
        found = self.resolve(entry)
        return [found] if found else []

    def _children(self, doc: Doc) -> list[Doc]:
        found = (c for entry in doc.toctree for c in self.expand(entry) if c is not doc)
        return list({c.id: c for c in found}.values())

    def links_of(self, doc: Doc) -> list[Doc]:
        """The documents `doc` links to, in link order, without itself."""
        found = (self.resolve(link) for link in doc.links)
        return list({c.id: c for c in found if c is not None and c is not doc}.values())

    def _fallback_root(self) -> Doc | None:
        """Without a usable overview: the shallowest index or README page, if any."""
        roots = [d for d in self.docs if d.index_page]
        return min(roots, key=lambda d: (d.path.count("/"), d.path), default=None)

    def _reading(self) -> list[Doc]:
        order: list[Doc] = []
        seen: set[str] = set()

        def visit(doc: Doc) -> None:  # the page, then its toctree, depth first
            stack = [doc]
            while stack:
                page = stack.pop()
                if page.id not in seen:
                    seen.add(page.id)
                    order.append(page)
                    stack.extend(reversed(self.children[page.id]))

        if self.root is not None:
            visit(self.root)
        i = 0
        while True:
            while i < len(order):  # then links: the overview's first, breadth first
                for target in self.links_of(order[i]):
                    visit(target)
                i += 1
            # A README that links nowhere inside the docs: the docs' own table of contents
            # (the shallowest page with a toctree not reached yet) comes next.
            tocs = [d for d in self.docs if self.children[d.id] and d.id not in seen]
            if not tocs:
                break
            visit(min(tocs, key=lambda d: (d.path.count("/"), d.path)))
        for doc in self.docs:
            visit(doc)
        return order

    def section(self, doc: Doc) -> str:
        """What a module may hold together: a hub with its toctree children, else a folder
        (the entries of the overview, or of a table of contents no page includes, are chapters:
        they share a folder, not its name)."""
        if self.children[doc.id]:
            return doc.id
        parent = self.parent.get(doc.id)
        if parent is None or parent is self.root or parent.id not in self.parent:
            return f"folder:{doc.folder}"
        return parent.id

    def section_head(self, key: str) -> Doc | None:
        """The page that names a section: the hub itself, or the folder's index/README
        (never the overview or the docs' top table of contents: they name the whole project)."""
        if not key.startswith("folder:"):
            return self.by_id.get(key)
        head = self._names.get(key.removeprefix("folder:"))
        if head is None or head.folder != key[7:] or head is self.root:
            return None
        # A table of contents no page includes names the whole project, like the overview.
        return None if self.children[head.id] and head.id not in self.parent else head

    def mentions(self, text: str) -> list[Doc]:
        """The documents a prerequisite names as whole words: by path or title (all of them),
        else the easiest, earliest page among those whose key concepts it names."""
        grams = _grams(text)
        strong = {d.id: d for g in grams for d in self._called.get(g, [])}
        if strong:
            return sorted(strong.values(), key=lambda d: (d.path, d.id))
        weak = [d for g in grams for d in self._about.get(g, [])]
        return [min(weak, key=lambda d: (d.level, self.rank[d.id]))] if weak else []

    def _dependencies(self, doc: Doc) -> list[str]:
        """Ids of the pages `doc` comes after: those its prerequisites name (`mentions`),
        and those it links to unless the link is a look-up or a pointer onward: links from
        hub pages (they list what they introduce), to hubs or api/reference pages (looked
        up, not read first) and forward links to a page no easier (a "next" link) do not
        count."""
        found = [d for p in doc.prerequisites for d in self.mentions(p)]
        if doc.id not in self.hubs:
            for target in self.links_of(doc):
                if target.lookup or target.id in self.hubs:
                    continue
                if self.rank[target.id] < self.rank[doc.id] or target.level < doc.level:
                    found.append(target)
        return list(dict.fromkeys(d.id for d in found if d is not doc))


def foundations(
    corpus: Corpus, docs: list[Doc], focus: set[str], by_length: bool = False
) -> list[Doc]:
    """`docs` in dependency order (Kahn's algorithm). Among free pages: the overview, then
    focus pages and what they need, then easier, then (`by_length`: shorter, then) earlier in
    the reading order. A cycle is broken by freeing its best page by the same key."""

    present = {d.id for d in docs}
    raised, stack = set(), [f for f in focus if f in present]
    while stack:  # a focus page pulls up what it needs
        page = stack.pop()
        if page not in raised:
            raised.add(page)
            stack.extend(b for b in corpus.before[page] if b in present)

    def key(d: Doc) -> tuple[bool, bool, int, int, int]:
        first = d is not corpus.root
        return (first, d.id not in raised, d.level, d.words if by_length else 0, corpus.rank[d.id])

    waiting = {d.id: set(corpus.before[d.id]) & present for d in docs}
    after: dict[str, list[str]] = {d.id: [] for d in docs}
    for d in docs:
        for b in waiting[d.id]:
            after[b].append(d.id)
    heap = [(key(d), d.id) for d in docs if not waiting[d.id]]
    heapq.heapify(heap)
    done: set[str] = set()
    out: list[Doc] = []
    ranked = deque(sorted(docs, key=key))
    while len(out) < len(docs):
        if not heap:  # only cycles are left: free the best page on one
            while ranked[0].id in done:
                ranked.popleft()
            free = ranked[0]
            waiting[free.id].clear()
            heapq.heappush(heap, (key(free), free.id))
        _, doc_id = heapq.heappop(heap)
        if doc_id in done:
            continue
        done.add(doc_id)
        out.append(corpus.by_id[doc_id])
        for later in after[doc_id]:
            waiting[later].discard(doc_id)
            if not waiting[later] and later not in done:
                heapq.heappush(heap, (key(corpus.by_id[later]), later))
    return out


def leaders(docs: list[Doc]) -> list[Doc]:
    """The pages a hands-on course is built around: tutorials, then how-tos (in the given
    order); guides when the project has neither."""
    found = sorted(
        (d for d in docs if d.doc_type in LEADERS), key=lambda d: d.doc_type != LEADERS[0]
    )
    return found or [d for d in docs if d.doc_type == "guide"]


def hands_on(corpus: Corpus, base: list[Doc]) -> list[Doc] | None:
    """Leaders (see `leaders`) in `base` order. Before each, the unplaced pages it needs
    (`Corpus.before`, transitively: a tutorial that names the installation page gets it
    first); after each, the unplaced concept and reference pages it links to, then those no
    harder that share one of its key concepts. Then the remaining pages in `base` order,
    api/reference pages last. None without leaders."""
    leading = leaders(base)
    if not leading:
        return None
    where = {d.id: i for i, d in enumerate(base)}
    background = [d for d in base if d.doc_type in _BACKGROUND and d not in leading]
    out: dict[str, Doc] = {}
    for lead in leading:
        needed, stack = set(), list(corpus.before[lead.id])
        while stack:
            page = stack.pop()
            if page in where and page not in out and page not in needed:
                needed.add(page)
                stack.extend(corpus.before[page])
        for page in sorted(needed, key=where.__getitem__):
            out[page] = corpus.by_id[page]
        out[lead.id] = lead
        linked = [d for d in corpus.links_of(lead) if d in background]
        shared = [d for d in background if d.ideas & lead.ideas and d.level <= lead.level]
        for d in linked + shared:
            out.setdefault(d.id, d)
    rest = [d for d in base if d.id not in out]
    return [*out.values(), *(d for d in rest if not d.lookup), *(d for d in rest if d.lookup)]


def api_dive(corpus: Corpus, base: list[Doc], least: int) -> list[Doc] | None:
    """The overview, the background pages the api/reference pages link to or share a key
    concept with (in `base` order), then the api/reference pages in reading order. None
    with fewer than `least` api/reference pages."""
    lookups = sorted((d for d in base if d.lookup), key=lambda d: corpus.rank[d.id])
    if len(lookups) < max(1, least):
        return None
    linked = {t.id for d in lookups for t in corpus.links_of(d)}
    ideas = {c for d in lookups for c in d.ideas}
    root = corpus.root if corpus.root in base and not corpus.root.lookup else None
    skip = {*LOOKUP, *LEADERS}
    picked = [d for d in base if d.doc_type not in skip and (d.id in linked or d.ideas & ideas)]
    return [*([root] if root else []), *(d for d in picked if d is not root), *lookups]


def quick_start(corpus: Corpus, practice: list[Doc], limit: float = 60.0) -> list[Doc] | None:
    """The overview, then the tutorials and how-tos of the hands-on order `practice` with
    the pages they need, while the total stays within `limit` minutes. None unless that is at
    least two documents with a tutorial or how-to among them, and fewer than all."""
    needed = {b for d in practice if d.doc_type in LEADERS for b in corpus.before[d.id]}
    root = corpus.root
    picked = [root] if root is not None and root.minutes <= limit / 2 else []
    for page in practice:
        if page in picked or (page.doc_type not in LEADERS and page.id not in needed):
            continue
        if sum(d.minutes for d in picked) + page.minutes > limit:
            break
        picked.append(page)
    enough = len(picked) >= 2 and any(d.doc_type in LEADERS for d in picked)
    return picked if enough and len(picked) < len(corpus.docs) else None


def by_folder(corpus: Corpus, docs: list[Doc]) -> list[Doc]:
    """Folder by folder, folders by path, each in reading order."""
    return sorted(docs, key=lambda d: (d.folder, corpus.rank[d.id]))
