"""Home page, the "Plus" page, health check and error pages."""
