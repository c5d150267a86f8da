#include "rtp/RtpPacket.hpp"

#include <algorithm>

namespace loa {

std::optional<RtpPacket> RtpPacket::parse(std::span<const uint8_t> data) {
    if (data.size() < kFixedHeaderSize) return std::nullopt;
    if ((data[0] >> 6) != 2) return std::nullopt;

    RtpPacket p(data);
    size_t offset = kFixedHeaderSize + size_t{p.csrcCount()} * 4;
    if (offset > data.size()) return std::nullopt;

    if (p.hasExtension()) {
        if (offset + 4 > data.size()) return std::nullopt;
        p.extensionProfile_ = static_cast<uint16_t>(data[offset] << 8 | data[offset + 1]);
        const size_t words = static_cast<size_t>(data[offset + 2] << 8 | data[offset + 3]);
        offset += 4;
        if (offset + words * 4 > data.size()) return std::nullopt;
        p.extension_ = data.subspan(offset, words * 4);
        offset += words * 4;
    }

    size_t end = data.size();
    if ((data[0] & 0x20) != 0) {
        const uint8_t pad = data.back();
        if (pad == 0 || pad > end - offset) return std::nullopt;
        p.padding_ = pad;
        end -= pad;
    }
    p.headerSize_ = offset;
    p.payload_ = data.subspan(offset, end - offset);
    return p;
}

std::optional<std::span<const uint8_t>> RtpPacket::oneByteExtension(uint8_t id) const {
    if (!hasExtension() || extensionProfile_ != kOneByteExtensionProfile || id == 0 || id > 14) return std::nullopt;
    size_t i = 0;
    while (i < extension_.size()) {
        const uint8_t b = extension_[i];
        if (b == 0) {  // padding byte
            ++i;
            continue;
        }
        const uint8_t elementId = b >> 4;
        const size_t len = size_t{b & 0x0fu} + 1;
        if (elementId == 15) break;  // reserved: stop processing (RFC 8285 §4.2)
        if (i + 1 + len > extension_.size()) return std::nullopt;
        if (elementId == id) return extension_.subspan(i + 1, len);
        i += 1 + len;
    }
    return std::nullopt;
}

std::string_view toString(AlertStatus status) {
    switch (status) {
        case AlertStatus::actual:
            return "actual";
        case AlertStatus::exercise:
            return "exercise";
        case AlertStatus::test:
            return "test";
    }
    return "unknown";
}

std::optional<AlertStatus> alertStatusFrom(std::string_view text) {
    if (text == "actual") return AlertStatus::actual;
    if (text == "exercise") return AlertStatus::exercise;
    if (text == "test") return AlertStatus::test;
    return std::nullopt;
}

std::string AlertInfo::idString() const {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "em-";
    for (uint8_t b : id) {
        out += kHex[b >> 4];
        out += kHex[b & 15];
    }
    return out;
}

std::optional<std::array<uint8_t, 6>> AlertInfo::idFrom(std::string_view text) {
    if (text.size() != 15 || text.substr(0, 3) != "em-") return std::nullopt;
    const auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    std::array<uint8_t, 6> id{};
    for (size_t i = 0; i < 6; ++i) {
        const int hi = nibble(text[3 + 2 * i]), lo = nibble(text[4 + 2 * i]);
        if (hi < 0 || lo < 0) return std::nullopt;
        id[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return id;
}

std::optional<StreamInfo> StreamInfo::parse(std::span<const uint8_t> data) {
    if (data.empty()) return std::nullopt;
    StreamInfo info;
    info.priority = data[0];
    if (data.size() >= kSize) {
        info.rolloverCounter = uint32_t{data[1]} << 24 | uint32_t{data[2]} << 16 | uint32_t{data[3]} << 8 | data[4];
    }
    // The alert: its status, id and origin keep their places in every version of it (a later
    // one adds a new element instead), so a receiver that does not know the version still knows
    // what it hears: a test is never taken for an unlabelled emergency.
    if (data.size() >= kAlertSize && (data[5] & 3) != 0) {
        AlertInfo alert;
        alert.status = static_cast<AlertStatus>(data[5] & 3);
        std::copy_n(data.begin() + 6, 6, alert.id.begin());
        alert.origin = uint32_t{data[12]} << 24 | uint32_t{data[13]} << 16 | uint32_t{data[14]} << 8 | data[15];
        info.alert = alert;
    }
    return info;
}

bool looksLikeRtcp(std::span<const uint8_t> data) {
    return data.size() >= 2 && (data[0] >> 6) == 2 && data[1] >= 192 && data[1] <= 223;
}

size_t writeRtpHeader(const RtpHeader& h, std::span<uint8_t> out) {
    const size_t size = rtpHeaderSize(h);
    if (out.size() < size) return 0;
    out[0] = static_cast<uint8_t>(0x80 | (h.extensionId ? 0x10 : 0));
    out[1] = static_cast<uint8_t>((h.marker ? 0x80 : 0) | (h.payloadType & 0x7f));
    out[2] = static_cast<uint8_t>(h.sequence >> 8);
    out[3] = static_cast<uint8_t>(h.sequence);
    out[4] = static_cast<uint8_t>(h.timestamp >> 24);
    out[5] = static_cast<uint8_t>(h.timestamp >> 16);
    out[6] = static_cast<uint8_t>(h.timestamp >> 8);
    out[7] = static_cast<uint8_t>(h.timestamp);
    out[8] = static_cast<uint8_t>(h.ssrc >> 24);
    out[9] = static_cast<uint8_t>(h.ssrc >> 16);
    out[10] = static_cast<uint8_t>(h.ssrc >> 8);
    out[11] = static_cast<uint8_t>(h.ssrc);
    if (h.extensionId) {
        const auto& alert = h.info.alert;
        out[12] = 0xBE;
        out[13] = 0xDE;
        out[14] = 0;
        out[15] = alert ? 5 : 2;  // 32-bit words of elements
        out[16] = static_cast<uint8_t>(h.extensionId << 4 | ((alert ? StreamInfo::kAlertSize : StreamInfo::kSize) - 1));
        out[17] = h.info.priority;
        out[18] = static_cast<uint8_t>(h.info.rolloverCounter >> 24);
        out[19] = static_cast<uint8_t>(h.info.rolloverCounter >> 16);
        out[20] = static_cast<uint8_t>(h.info.rolloverCounter >> 8);
        out[21] = static_cast<uint8_t>(h.info.rolloverCounter);
        size_t at = 22;
        if (alert) {
            out[at++] = static_cast<uint8_t>(StreamInfo::kAlertVersion << 4 | static_cast<uint8_t>(alert->status));
            for (uint8_t b : alert->id)
                out[at++] = b;
            for (int shift = 24; shift >= 0; shift -= 8)
                out[at++] = static_cast<uint8_t>(alert->origin >> shift);
        }
        while (at < size)
            out[at++] = 0;  // padding
    }
    return size;
}

}  // namespace loa
