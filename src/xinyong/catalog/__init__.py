"""The public credit information catalog (公共信用信息目录, HLJ 18)."""
