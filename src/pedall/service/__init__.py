"""The HTTP service: the app factory, its routers, the pages and the query workers."""
