#include "sdp/StationSdp.hpp"

#include <sstream>

#include "common/Base64.hpp"

namespace loa {

std::string cryptoAttribute(SrtpProfile profile, const std::vector<uint8_t>& keyMaterial) {
    return "1 " + std::string(info(profile).sdesName) + " inline:" + base64Encode(keyMaterial);
}

std::string makeStationSdp(const StationStream& s) {
    const std::string ipv = s.destination.family() == AF_INET6 ? "IP6" : "IP4";
    std::ostringstream out;
    out << "v=0\r\n"
        << "o=- 0 0 IN " << ipv << " " << s.destination.host() << "\r\n"
        << "s=Loa " << s.programmeName << " for station " << s.stationId << "\r\n"
        << "c=IN " << ipv << " " << s.destination.host() << "\r\n"
        << "t=0 0\r\n"
        << "m=audio " << s.destination.port() << " RTP/SAVP " << s.payloadType << "\r\n"
        << "a=rtpmap:" << s.payloadType << " opus/48000/2\r\n"
        << "a=fmtp:" << s.payloadType << " sprop-stereo=" << (s.channels == 2 ? 1 : 0) << "\r\n"
        << "a=ptime:" << s.frameMs << "\r\n"
        << "a=extmap:" << int{s.priorityExtensionId} << " " << kPriorityExtensionUri << "\r\n"
        << "a=crypto:" << cryptoAttribute(s.profile, s.keyMaterial) << "\r\n"
        << "a=ssrc:" << s.ssrc << " cname:loa-" << s.stationId << "\r\n";
    if (s.reportTo) {
        out << "a=rtcp:" << s.reportTo->port() << " IN " << (s.reportTo->family() == AF_INET6 ? "IP6" : "IP4") << " "
            << s.reportTo->host() << "\r\n";
    }
    if (s.rolloverCounter) out << "a=x-loa-roc:" << *s.rolloverCounter << "\r\n";
    out << "a=recvonly\r\n";
    return out.str();
}

std::string gstreamerCaps(const StationStream& s) {
    const auto& p = info(s.profile);
    std::ostringstream out;
    out << "application/x-srtp,media=(string)audio,clock-rate=(int)48000,encoding-name=(string)OPUS,payload=(int)"
        << s.payloadType << ",ssrc=(uint)" << s.ssrc << ",srtp-key=(buffer)" << hexEncode(s.keyMaterial)
        << ",srtp-cipher=(string)" << p.gstCipher << ",srtp-auth=(string)" << p.gstAuth << ",srtcp-cipher=(string)"
        << p.gstCipher << ",srtcp-auth=(string)" << p.gstAuth << ",roc=(uint)" << s.rolloverCounter.value_or(0);
    return out.str();
}

std::optional<StationStream> parseStationSdp(const std::string& text, std::string& error) {
    StationStream s;
    std::optional<std::string> host;
    std::optional<int> port;
    bool haveKey = false;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::istringstream fields(line.size() > 2 ? line.substr(2) : std::string());
        if (line.rfind("c=", 0) == 0) {
            std::string net, type, addr;
            fields >> net >> type >> addr;
            host = addr.substr(0, addr.find('/'));
        } else if (line.rfind("m=audio ", 0) == 0) {
            std::string media, proto;
            int p = 0, pt = 0;
            fields >> media >> p >> proto >> pt;
            if (!fields || p <= 0 || p > 65535) {
                error = "malformed m= line: " + line;
                return std::nullopt;
            }
            port = p;
            s.payloadType = pt;
        } else if (line.rfind("a=fmtp:", 0) == 0) {
            if (line.find("sprop-stereo=1") != std::string::npos || line.find("stereo=1") != std::string::npos)
                s.channels = 2;
        } else if (line.rfind("a=ssrc:", 0) == 0) {
            s.ssrc = static_cast<uint32_t>(std::strtoul(line.c_str() + 7, nullptr, 10));
        } else if (line.rfind("a=rtcp:", 0) == 0) {
            std::istringstream rtcp(line.substr(7));
            std::string rtcpPort, net, type, addr;
            rtcp >> rtcpPort >> net >> type >> addr;
            std::string where = type == "IP6" ? "[" + addr + "]" : addr;
            where.append(":").append(rtcpPort);
            if (!addr.empty()) s.reportTo = SocketAddress::parse(where);
        } else if (line.rfind("a=x-loa-roc:", 0) == 0) {
            s.rolloverCounter = static_cast<uint32_t>(std::strtoul(line.c_str() + 12, nullptr, 10));
        } else if (line.rfind("a=ptime:", 0) == 0) {
            s.frameMs = std::atoi(line.c_str() + 8);
        } else if (line.rfind("a=extmap:", 0) == 0 && line.find(kPriorityExtensionUri) != std::string::npos) {
            s.priorityExtensionId = static_cast<uint8_t>(std::atoi(line.c_str() + 9));
        } else if (line.rfind("a=crypto:", 0) == 0 && !haveKey) {
            std::string tag, suite, keyParams;
            std::istringstream crypto(line.substr(9));
            crypto >> tag >> suite >> keyParams;
            const auto profile = profileFromSdesName(suite);
            if (!profile) continue;  // a suite we don't speak; another line may offer one we do
            if (keyParams.rfind("inline:", 0) != 0) {
                error = "a=crypto key is not inline: " + line;
                return std::nullopt;
            }
            const std::string b64 = keyParams.substr(
                7, keyParams.find('|') == std::string::npos ? std::string::npos : keyParams.find('|') - 7);
            auto key = base64Decode(b64);
            if (!key || key->size() != keyMaterialLength(*profile)) {
                error =
                    "a=crypto inline key is not base64 of " + std::to_string(keyMaterialLength(*profile)) + " bytes";
                return std::nullopt;
            }
            s.profile = *profile;
            s.keyMaterial = std::move(*key);
            haveKey = true;
        }
    }
    if (!host || !port) {
        error = "SDP has no c= address or no m=audio port";
        return std::nullopt;
    }
    if (!haveKey) {
        error = "SDP has no a=crypto line with a supported suite";
        return std::nullopt;
    }
    const bool v6 = host->find(':') != std::string::npos;
    auto address = SocketAddress::parse((v6 ? "[" + *host + "]" : *host) + ":" + std::to_string(*port));
    if (!address) {
        error = "SDP address is not numeric: " + *host;
        return std::nullopt;
    }
    s.destination = *address;
    return s;
}

}  // namespace loa
