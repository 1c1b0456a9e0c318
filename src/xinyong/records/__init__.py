"""Public credit information records (公共信用信息记录)."""
