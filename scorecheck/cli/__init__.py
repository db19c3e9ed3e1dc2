"""The command line: `scorecheck run` / `scorecheck record`, the reporters it drives, and the exit codes."""
