"""HTTP routers, one per actor."""
