// loa-station: the reference station receiver.

#include <csignal>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "AudioOutput.hpp"
#include "StationReceiver.hpp"
#include "WavWriter.hpp"
#include "common/Base64.hpp"
#include "common/Error.hpp"
#include "common/Log.hpp"

namespace {
constexpr const char* kUsage = R"(usage:
  loa-station --sdp FILE [options]
  loa-station --listen ADDR:PORT --key BASE64 [--profile NAME] [--channels 1|2] [--payload-type PT] [options]
options:
  --listen ADDR:PORT   address to receive on (overrides the SDP's)
  --interface ADDR     for a multicast group: join it on the interface with this IPv4 address
  --wav FILE           write the decoded audio to a WAV file
  --play               play through the default audio device (an error if none can be opened)
  --jitter-ms N        jitter buffer delay (default 60)
  --duration SEC       stop after SEC seconds (default: until SIGINT/SIGTERM)
  --stats FILE         write the final counters as JSON to FILE (always printed on stdout)
  --state DIR          keep what must survive a restart here (the reserved report indexes); a
                       station should always have one (e.g. /var/lib/loa-station)
profiles: aes-cm-128-hmac-sha1-80 (default), aead-aes-128-gcm
)";

volatile bool g_stop = false;
void onSignal(int) {
    g_stop = true;
}

std::string readFile(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw loa::Error("cannot read " + path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}
}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string sdpFile, listen, key, wav, statsFile, interface, stateDir, profileName = "aes-cm-128-hmac-sha1-80";
    int channels = 1, payloadType = 96, jitterMs = 60;
    double duration = 0;
    bool play = false;
    try {
        for (size_t i = 0; i < args.size(); ++i) {
            const auto& a = args[i];
            auto value = [&]() -> const std::string& {
                if (i + 1 >= args.size()) throw loa::Error(a + " needs a value");
                return args[++i];
            };
            if (a == "--sdp")
                sdpFile = value();
            else if (a == "--listen")
                listen = value();
            else if (a == "--key")
                key = value();
            else if (a == "--profile")
                profileName = value();
            else if (a == "--channels")
                channels = std::stoi(value());
            else if (a == "--payload-type")
                payloadType = std::stoi(value());
            else if (a == "--wav")
                wav = value();
            else if (a == "--play")
                play = true;
            else if (a == "--jitter-ms")
                jitterMs = std::stoi(value());
            else if (a == "--duration")
                duration = std::stod(value());
            else if (a == "--stats")
                statsFile = value();
            else if (a == "--state")
                stateDir = value();
            else if (a == "--interface")
                interface = value();
            else if (a == "--help" || a == "-h") {
                std::cout << kUsage;
                return 0;
            } else
                throw loa::Error("unknown argument '" + a + "'");
        }

        loa::StationStream stream;
        if (!sdpFile.empty()) {
            std::string error;
            auto parsed = loa::parseStationSdp(readFile(sdpFile), error);
            if (!parsed) throw loa::Error(sdpFile + ": " + error);
            stream = *parsed;
        } else {
            const auto profile = loa::profileFromConfigName(profileName);
            if (!profile) throw loa::Error("unknown profile '" + profileName + "'");
            auto material = loa::base64Decode(key);
            if (!material) throw loa::Error("--key is not base64");
            stream.profile = *profile;
            stream.keyMaterial = *material;
            stream.channels = channels;
            stream.payloadType = payloadType;
        }
        if (!listen.empty()) {
            auto address = loa::SocketAddress::parse(listen);
            if (!address) throw loa::Error("--listen expects ADDR:PORT, got '" + listen + "'");
            stream.destination = *address;
        }
        if (stream.destination.length() == 0) throw loa::Error("give --sdp FILE or --listen ADDR:PORT");
        if (stream.channels != 1 && stream.channels != 2) throw loa::Error("channels must be 1 or 2");

        std::unique_ptr<loa::WavWriter> wavOut;
        std::unique_ptr<loa::AudioOutput> audioOut;
        if (!wav.empty()) wavOut = std::make_unique<loa::WavWriter>(wav, 48000, stream.channels);
        if (play) audioOut = std::make_unique<loa::AudioOutput>(48000, stream.channels);
        std::optional<loa::SocketAddress> multicastInterface;
        if (!interface.empty()) {
            multicastInterface = loa::SocketAddress::parse(interface + ":0");
            if (!multicastInterface) throw loa::Error("--interface expects an IPv4 address, got '" + interface + "'");
        }
        loa::StationReceiver receiver(
            stream, jitterMs,
            [&](std::span<const float> pcm) {
                if (wavOut) wavOut->write(pcm);
                if (audioOut) audioOut->write(pcm);
            },
            multicastInterface ? &*multicastInterface : nullptr, std::chrono::seconds(2),
            stateDir.empty() ? std::nullopt : std::optional<std::filesystem::path>(stateDir));

        std::signal(SIGINT, onSignal);
        std::signal(SIGTERM, onSignal);
        const auto deadline = duration > 0 ? std::chrono::steady_clock::now() +
                                                 std::chrono::microseconds(static_cast<int64_t>(duration * 1e6))
                                           : std::chrono::steady_clock::time_point::max();
        LOA_LOG(info, "station") << "receiving on " << stream.destination.toString() << " ("
                                 << loa::info(stream.profile).sdesName << ", " << stream.channels << " channel(s))";
        receiver.run(deadline, g_stop);
        if (wavOut) wavOut->close();

        const std::string json = receiver.stats().toJson();
        std::cout << json << std::endl;
        if (!statsFile.empty()) std::ofstream(statsFile) << json << "\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "loa-station: " << e.what() << "\n";
        return 1;
    }
}
