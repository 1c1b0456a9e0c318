"""Public credit information reports (公共信用信息报告): numbered, verifiable, page and PDF."""
