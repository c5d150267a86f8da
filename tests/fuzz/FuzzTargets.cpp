#include "FuzzTargets.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "api/ApiHandler.hpp"
#include "control/CapAlert.hpp"
#include "control/EmergencyManager.hpp"
#include "rtp/Rtcp.hpp"
#include "rtp/RtpPacket.hpp"
#include "sdp/StationSdp.hpp"
#include "settings/Settings.hpp"
#include "srtp/SenderRollover.hpp"

namespace loa::fuzz {
namespace {
constexpr size_t kMaxPacket = 1500;

std::string text(std::span<const uint8_t> data) {
    return {reinterpret_cast<const char*>(data.data()), data.size()};
}

/// A config to check stations and schedule entries against.
const Settings& context() {
    static const Settings settings = [] {
        Settings s;
        ProgrammeSettings p;
        p.id = "national";
        s.programmes = {p};
        s.gateway.mediaListen = *SocketAddress::parse("127.0.0.1:5004");
        return s;
    }();
    return settings;
}
}  // namespace

void rtp(std::span<const uint8_t> data) {
    if (data.size() > kMaxPacket) return;
    if (auto p = RtpPacket::parse(data)) {
        (void)p->payload();
        for (uint8_t id = 1; id <= 14; ++id) {
            if (auto ext = p->oneByteExtension(id)) (void)StreamInfo::parse(*ext);
        }
        (void)advertisedRolloverCounter(*p, 1);
    }
    (void)looksLikeRtcp(data);
    (void)rtcpSenderSsrc(data);
    if (auto r = parseReceiverReport(data)) {
        uint8_t out[64];
        (void)writeReceiverReport(*r, out);
    }
}

void srtp(std::span<const uint8_t> data) {
    if (data.size() > kMaxPacket) return;
    initLibSrtp();
    static const std::vector<uint8_t> key(30, 0x5a);
    std::vector<uint8_t> buffer(data.begin(), data.end());
    buffer.resize(data.size() + 64);
    for (bool rtcp : {false, true}) {
        SrtpSession session(SrtpSession::Direction::inbound, SrtpProfile::aesCm128HmacSha1_80, key);
        std::copy(data.begin(), data.end(), buffer.begin());
        size_t length = data.size();
        const auto result =
            rtcp ? session.unprotectRtcp(buffer, length) : unprotectRtpFollowingSender(session, buffer, length, 1);
        if (result == SrtpResult::ok) rtp({buffer.data(), length});
    }
}

void sdp(std::span<const uint8_t> data) {
    std::string error;
    if (auto s = parseStationSdp(text(data), error)) (void)makeStationSdp(*s);
}

void config(std::span<const uint8_t> data) {
    const std::string yaml = text(data);
    try {
        (void)parseSettings(yaml, "/fuzz/config.yaml");
    } catch (const Error&) {
    }
    try {
        (void)parseStation(yaml, context(), "station");
    } catch (const Error&) {
    }
    try {
        (void)parseScheduleEntry(yaml, context(), "entry");
    } catch (const Error&) {
    }
}

void cap(std::span<const uint8_t> data) {
    try {
        (void)parseCap(text(data));
    } catch (const Refusal&) {
    }
}

void apiJson(std::span<const uint8_t> data) {
    const std::string body = text(data);
    (void)ApiHandler::parseQuery(body);
    const auto json = nlohmann::json::parse(body, nullptr, false);
    if (json.is_discarded()) return;
    // What it writes, it reads back as the same document.
    const auto again = nlohmann::json::parse(json.dump(), nullptr, false);
    if (again != json) __builtin_trap();
}

Target byName(std::string_view name) {
    if (name == "rtp") return rtp;
    if (name == "srtp") return srtp;
    if (name == "sdp") return sdp;
    if (name == "config") return config;
    if (name == "cap") return cap;
    if (name == "api-json") return apiJson;
    return nullptr;
}

}  // namespace loa::fuzz
