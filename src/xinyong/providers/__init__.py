"""Provider units (公共信用信息提供单位) and their timeliness."""
