"""respond's HTTP edge beyond the entry module: the web app's pages and assets."""
