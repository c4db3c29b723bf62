"""技术经纪人: application, bureau certification, training records, the 100-trained-broker target."""
