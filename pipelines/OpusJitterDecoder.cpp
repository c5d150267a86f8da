#include "OpusJitterDecoder.hpp"

#include <algorithm>
#include <string>

#include "common/Error.hpp"

namespace loa {

OpusJitterDecoder::OpusJitterDecoder(int channels) : channels_(channels) {
    int error = 0;
    decoder_ = opus_decoder_create(48000, channels, &error);
    if (error != OPUS_OK) throw Error(std::string("cannot create Opus decoder: ") + opus_strerror(error));
}

OpusJitterDecoder::~OpusJitterDecoder() {
    opus_decoder_destroy(decoder_);
}

void OpusJitterDecoder::reset() {
    opus_decoder_ctl(decoder_, OPUS_RESET_STATE);
}

int OpusJitterDecoder::conceal(std::span<float> out, int samples) {
    const int n = opus_decode_float(decoder_, nullptr, 0, out.data(), samples, 0);
    if (n > 0) return n;
    std::fill_n(out.begin(), samples * channels_, 0.0f);
    return samples;
}

int OpusJitterDecoder::playNext(JitterBuffer& jitter, std::span<float> out, std::optional<uint8_t>* tag) {
    // A missing packet with later ones already here is a hole (lost); with none, the buffer ran dry.
    const bool laterPacketsHere = jitter.depth() > 0;
    const auto nextTag = jitter.peekNextTag();
    const auto payload = jitter.popNext();
    int samples = 0;
    if (payload && !payload->empty()) {
        samples = opus_decode_float(decoder_, payload->data(), static_cast<opus_int32>(payload->size()), out.data(),
                                    kMaxPacketSamples, 0);
        if (samples > 0) {
            ++counters_.decoded;
            packetSamples_ = samples;
            if (tag) *tag = nextTag;
        }
    } else if (const auto* next = jitter.peekNext(); next && !next->empty()) {
        ++counters_.lost;
        samples = opus_decode_float(decoder_, next->data(), static_cast<opus_int32>(next->size()), out.data(),
                                    packetSamples_, 1);
        if (samples > 0) ++counters_.fecRecovered;
    } else {
        ++(laterPacketsHere ? counters_.lost : counters_.underruns);
        samples = opus_decode_float(decoder_, nullptr, 0, out.data(), packetSamples_, 0);
        if (samples > 0) ++counters_.concealed;
    }
    if (samples <= 0) {
        ++counters_.undecodable;
        samples = packetSamples_;
        std::fill_n(out.begin(), samples * channels_, 0.0f);
    }
    return samples;
}

}  // namespace loa
