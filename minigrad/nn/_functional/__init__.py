"""The functional forms behind the nn layers, one family per file."""
