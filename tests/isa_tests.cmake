list(APPEND BITNET_ISA_TESTS test_cast)
list(APPEND BITNET_ISA_TESTS test_bitlinear)
