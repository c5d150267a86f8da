#include "rtp/Rtcp.hpp"

namespace loa {
namespace {
constexpr uint8_t kReceiverReport = 201;

void put32(std::span<uint8_t> out, size_t at, uint32_t v) {
    out[at] = static_cast<uint8_t>(v >> 24);
    out[at + 1] = static_cast<uint8_t>(v >> 16);
    out[at + 2] = static_cast<uint8_t>(v >> 8);
    out[at + 3] = static_cast<uint8_t>(v);
}

uint32_t get32(std::span<const uint8_t> in, size_t at) {
    return uint32_t{in[at]} << 24 | uint32_t{in[at + 1]} << 16 | uint32_t{in[at + 2]} << 8 | in[at + 3];
}
}  // namespace

size_t writeReceiverReport(const ReceiverReport& r, std::span<uint8_t> out) {
    const size_t length = r.hasBlock ? 32 : 8;
    if (out.size() < length) return 0;
    out[0] = static_cast<uint8_t>(0x80 | (r.hasBlock ? 1 : 0));  // V=2, no padding, RC
    out[1] = kReceiverReport;
    out[2] = 0;
    out[3] = static_cast<uint8_t>(length / 4 - 1);
    put32(out, 4, r.reporterSsrc);
    if (r.hasBlock) {
        put32(out, 8, r.sourceSsrc);
        put32(out, 12, uint32_t{r.fractionLost} << 24 | (static_cast<uint32_t>(r.cumulativeLost) & 0xffffff));
        put32(out, 16, r.highestSequence);
        put32(out, 20, r.jitter);
        put32(out, 24, 0);  // LSR: no sender reports from the gateway
        put32(out, 28, 0);  // DLSR
    }
    return length;
}

std::optional<uint32_t> rtcpSenderSsrc(std::span<const uint8_t> p) {
    if (p.size() < 8 || (p[0] >> 6) != 2) return std::nullopt;
    return get32(p, 4);
}

std::optional<ReceiverReport> parseReceiverReport(std::span<const uint8_t> p) {
    if (p.size() < 8 || (p[0] >> 6) != 2 || p[1] != kReceiverReport) return std::nullopt;
    const size_t length = (size_t{p[2]} << 8 | p[3]) * 4 + 4;
    const int count = p[0] & 0x1f;
    if (length > p.size() || length < 8 + size_t(count) * 24) return std::nullopt;
    ReceiverReport r;
    r.reporterSsrc = get32(p, 4);
    if (count > 0) {
        r.hasBlock = true;
        r.sourceSsrc = get32(p, 8);
        const uint32_t lost = get32(p, 12);
        r.fractionLost = static_cast<uint8_t>(lost >> 24);
        const uint32_t cumulative = lost & 0xffffff;
        r.cumulativeLost = static_cast<int32_t>(cumulative & 0x800000 ? cumulative | 0xff000000u : cumulative);
        r.highestSequence = get32(p, 16);
        r.jitter = get32(p, 20);
    }
    return r;
}

}  // namespace loa
