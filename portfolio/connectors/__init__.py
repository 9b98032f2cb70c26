"""Exchange connectors of the portfolio: balances and USD prices, or a SourceError."""
