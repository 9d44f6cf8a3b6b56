list(APPEND BITNET_ISA_TESTS test_cast)
list(APPEND BITNET_ISA_TESTS test_bitlinear)
list(APPEND BITNET_ISA_TESTS test_ops_binary test_ops_unary)
