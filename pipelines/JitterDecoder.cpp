#include "JitterDecoder.hpp"

#include <string>

#include "OpusJitterDecoder.hpp"
#include "common/Error.hpp"

namespace loa {

std::unique_ptr<JitterDecoder> makeJitterDecoder(std::string_view codec, int channels) {
    if (codec == "opus") return std::make_unique<OpusJitterDecoder>(channels);
    throw Error("no decoder for codec '" + std::string(codec) + "'");
}

}  // namespace loa
