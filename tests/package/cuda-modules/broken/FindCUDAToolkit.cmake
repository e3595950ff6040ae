# A toolkit that CMake cannot set up at all (a future module or toolkit mismatch).
message(FATAL_ERROR "simulated: CMake cannot set up this CUDA toolkit")
