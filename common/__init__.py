"""What every TruStone service shares: config, events, logging, metrics, HTTP and the MongoDB seam."""
