"""Output tools: atomic files, charts, the HTML report, decisions told in words."""
