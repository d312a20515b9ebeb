"""Getting sources: a pinned release (`pins`), its verified `Lib/` (`fetch`, `lib_files`), the corpus read from it
(`corpus`) and the maintainer's pin manifests (`manifest`). Nothing here parses Python."""
