"""Jobs: long work started from the web or CLI (matching rebuild, reports) with progress a page can follow."""
