#pragma once
// A bounds-checked, read-only view over one RTP packet (RFC 3550) in a receive buffer.
// Parsing never throws and never reads past the span; a malformed packet yields nullopt.

#include <cstdint>
#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace loa {

class RtpPacket {
public:
    static constexpr size_t kFixedHeaderSize = 12;
    static constexpr uint16_t kOneByteExtensionProfile = 0xBEDE;

    static std::optional<RtpPacket> parse(std::span<const uint8_t> data);

    uint8_t payloadType() const { return data_[1] & 0x7f; }
    bool marker() const { return (data_[1] & 0x80) != 0; }
    uint16_t sequence() const { return static_cast<uint16_t>(data_[2] << 8 | data_[3]); }
    uint32_t timestamp() const { return read32(4); }
    uint32_t ssrc() const { return read32(8); }
    uint8_t csrcCount() const { return data_[0] & 0x0f; }
    bool hasExtension() const { return (data_[0] & 0x10) != 0; }
    uint16_t extensionProfile() const { return extensionProfile_; }
    std::span<const uint8_t> extensionData() const { return extension_; }
    std::span<const uint8_t> payload() const { return payload_; }
    size_t headerSize() const { return headerSize_; }
    size_t paddingSize() const { return padding_; }
    std::span<const uint8_t> bytes() const { return data_; }

    /// The data of one-byte extension element `id` (RFC 8285 §4.2), if present.
    std::optional<std::span<const uint8_t>> oneByteExtension(uint8_t id) const;

private:
    explicit RtpPacket(std::span<const uint8_t> data) : data_(data) {}
    uint32_t read32(size_t at) const {
        return uint32_t{data_[at]} << 24 | uint32_t{data_[at + 1]} << 16 | uint32_t{data_[at + 2]} << 8 | data_[at + 3];
    }

    std::span<const uint8_t> data_;
    std::span<const uint8_t> extension_;
    std::span<const uint8_t> payload_;
    uint16_t extensionProfile_ = 0;
    size_t headerSize_ = 0;
    size_t padding_ = 0;
};

/// True if the first bytes look like RTCP rather than RTP when both share a port (RFC 5761 §4).
bool looksLikeRtcp(std::span<const uint8_t> data);

/// An alert's standing (CAP's status): actual > exercise > test. The value goes on the wire.
enum class AlertStatus : uint8_t { actual = 1, exercise = 2, test = 3 };
std::string_view toString(AlertStatus status);
std::optional<AlertStatus> alertStatusFrom(std::string_view text);

/// Who an emergency's packets are for: the alert's id, its status and the gateway it was
/// triggered on (its tag), so that a child gateway and a station know exactly what they hear.
struct AlertInfo {
    AlertStatus status = AlertStatus::actual;
    std::array<uint8_t, 6> id{};  ///< the 12 hex digits of its id "em-…"
    uint32_t origin = 0;          ///< the originating gateway's tag (gatewayTag)
    bool operator==(const AlertInfo&) const = default;
    /// "em-" and the id in hex, as the API shows it.
    std::string idString() const;
    /// The id of an "em-" + 12 hex digits string, if it is one.
    static std::optional<std::array<uint8_t, 6>> idFrom(std::string_view text);
};

/// Loa's stream-info element (one-byte header extension, docs/wire-formats.md). Its length is
/// its version: 1 byte, the priority level only; 5 bytes (v1), then the sender's SRTP rollover
/// counter (big-endian), so a receiver can join or rejoin at any time; 16 bytes (v2), then the
/// alert its emergency audio belongs to. Receivers take what they know of a longer element.
struct StreamInfo {
    static constexpr size_t kSize = 5;
    static constexpr size_t kAlertSize = 16;
    static constexpr uint8_t kAlertVersion = 1;  ///< the high nibble of the alert's first byte
    uint8_t priority = 0;
    uint32_t rolloverCounter = 0;
    std::optional<AlertInfo> alert;
    /// Reads the element's data; a 1-byte element (priority only) is accepted too.
    static std::optional<StreamInfo> parse(std::span<const uint8_t> data);
};

/// Header fields for writing a packet.
struct RtpHeader {
    uint8_t payloadType = 0;
    bool marker = false;
    uint16_t sequence = 0;
    uint32_t timestamp = 0;
    uint32_t ssrc = 0;
    /// One-byte header extension id (1..14) for the StreamInfo element; 0 means no extension.
    uint8_t extensionId = 0;
    StreamInfo info;
};

/// Size of the header that writeRtpHeader produces for `h`: 12 bytes, plus 12 with the extension
/// (4-byte extension header, 1-byte element header, 5 bytes of data, 2 bytes of padding), or 24
/// with an alert (16 bytes of data, 3 of padding).
constexpr size_t rtpHeaderSize(const RtpHeader& h) {
    return RtpPacket::kFixedHeaderSize + (h.extensionId ? (h.info.alert ? 24 : 12) : 0);
}

/// Writes the header into `out` (which must hold rtpHeaderSize(h) bytes); returns bytes written, 0 if too small.
size_t writeRtpHeader(const RtpHeader& h, std::span<uint8_t> out);

}  // namespace loa
