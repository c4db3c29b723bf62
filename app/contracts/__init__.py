"""技术合同 and their 认定登记 (registration) by the bureau."""
