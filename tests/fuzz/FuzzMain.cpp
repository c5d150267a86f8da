// A libFuzzer binary for one target, chosen at build time (LOA_FUZZ_TARGET).
#include "FuzzTargets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const auto target = loa::fuzz::byName(LOA_FUZZ_TARGET);
    target({data, size});
    return 0;
}
