"""The regulations as dated data with citations, and the engines that read them."""
