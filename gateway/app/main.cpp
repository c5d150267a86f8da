// loa-gateway: the daemon, plus `keys` (a station's key and SDP) and --check-config.

#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <openssl/rand.h>

#include "api/ApiHandler.hpp"
#include "app/Gateway.hpp"
#include "app/SystemdNotify.hpp"
#include "common/Base64.hpp"
#include "common/Log.hpp"
#include "pipelines/Schedule.hpp"
#include "sdp/StationSdp.hpp"
#include "settings/Settings.hpp"
#include "srtp/IndexReservation.hpp"
#include "srtp/StationKeys.hpp"
#include "state/StateStore.hpp"

namespace {
constexpr std::string_view kMainTag = "main";

constexpr const char* kUsage = R"(usage:
  loa-gateway --config FILE [--state-dir DIR] [--log-level LEVEL]
      run the gateway (SIGHUP reloads FILE, SIGTERM stops)
  loa-gateway --check-config FILE
      validate FILE and exit: 0 if valid, 1 with the error otherwise
  loa-gateway keys --config FILE (--station ID | --group ID) [--sdp] [--state-dir DIR]
      print the station's (or multicast group's) SRTP key (SDES inline, base64), SSRC and the
      SDP of its stream; with --sdp print only the SDP, ready for a player or loa-station --sdp
  loa-gateway keys --config FILE --ingest PROGRAMME/live|PROGRAMME/upstream [--state-dir DIR]
      print the SRTP key a studio encoder (or parent gateway) must send that live feed with
  loa-gateway token --name NAME --role viewer|operator|emergency|admin
      make a new random API token: prints it once, and the lines for api.tokens (its SHA-256)
  loa-gateway --version
)";

struct Options {
    std::string command = "run";
    std::string config;
    std::string stateDir;
    std::string station;
    std::string group;
    std::string ingest;
    std::string logLevel;
    std::string tokenName;
    std::string tokenRole;
    bool sdpOnly = false;
};

std::optional<Options> parseArgs(int argc, char** argv) {
    Options o;
    std::vector<std::string> args(argv + 1, argv + argc);
    size_t i = 0;
    if (!args.empty() && (args[0] == "keys" || args[0] == "token")) {
        o.command = args[0];
        i = 1;
    }
    for (; i < args.size(); ++i) {
        const auto& a = args[i];
        auto value = [&](std::string& out) {
            if (i + 1 >= args.size()) throw loa::Error(a + " needs a value");
            out = args[++i];
        };
        if (a == "--config")
            value(o.config);
        else if (a == "--check-config") {
            o.command = "check";
            value(o.config);
        } else if (a == "--state-dir")
            value(o.stateDir);
        else if (a == "--station")
            value(o.station);
        else if (a == "--group")
            value(o.group);
        else if (a == "--ingest")
            value(o.ingest);
        else if (a == "--log-level")
            value(o.logLevel);
        else if (a == "--name")
            value(o.tokenName);
        else if (a == "--role")
            value(o.tokenRole);
        else if (a == "--sdp")
            o.sdpOnly = true;
        else if (a == "--version")
            o.command = "version";
        else if (a == "--help" || a == "-h")
            return std::nullopt;
        else
            throw loa::Error("unknown argument '" + a + "'");
    }
    if ((o.command == "run" || o.command == "keys") && o.config.empty()) throw loa::Error("--config FILE is required");
    if (o.command == "keys" && (!o.station.empty()) + (!o.group.empty()) + (!o.ingest.empty()) != 1)
        throw loa::Error("keys needs one of --station ID, --group ID or --ingest PROGRAMME/live|upstream");
    return o;
}

loa::Settings load(const Options& o) {
    auto settings = loa::loadSettings(o.config);
    if (!o.stateDir.empty()) settings.gateway.stateDir = o.stateDir;
    return settings;
}

int printIngestKey(const Options& o, const loa::Settings& settings, const loa::StationCredentials& credentials) {
    const auto slash = o.ingest.find('/');
    const auto* programme = settings.findProgramme(o.ingest.substr(0, slash));
    const std::string kind = slash == std::string::npos ? "" : o.ingest.substr(slash + 1);
    if (!programme || (kind != "live" && kind != "upstream"))
        throw loa::Error("--ingest takes PROGRAMME/live or PROGRAMME/upstream, got '" + o.ingest + "'");
    const auto filled = credentials.withIngestKeys(*programme);
    const auto& feed = kind == "live" ? filled.live : filled.upstream;
    if (!feed) throw loa::Error("programme '" + programme->id + "' has no " + kind + " feed in " + o.config);
    if (!feed->key) throw loa::Error(o.ingest + " takes plain RTP (allow_plain_rtp): it has no key");
    std::cout << "ingest: " << o.ingest << "\nlisten: " << feed->listen.toString()
              << "\nprofile: " << loa::info(feed->profile).sdesName << "\nkey: " << loa::base64Encode(*feed->key)
              << "\nkey (hex, for GStreamer srtpenc key=): " << loa::hexEncode(*feed->key)
              << "\npayload type: " << feed->payloadType << " (Opus, 48 kHz)\n";
    return 0;
}

int printToken(const Options& o) {
    if (o.tokenName.empty() || o.tokenRole.empty()) throw loa::Error("token needs --name NAME and --role ROLE");
    if (o.tokenRole != "viewer" && o.tokenRole != "operator" && o.tokenRole != "emergency" && o.tokenRole != "admin")
        throw loa::Error("--role takes viewer, operator, emergency or admin");
    uint8_t random[32];
    if (RAND_bytes(random, sizeof random) != 1) throw loa::Error("no randomness for a token");
    const std::string token = "loa_" + loa::hexEncode(random);
    const auto hash = loa::tokenHash(token);
    std::cout << "token (give it to " << o.tokenName << "; it is not stored): " << token << "\n\n"
              << "for api.tokens in the config:\n"
              << "    - name: " << o.tokenName << "\n      role: " << o.tokenRole
              << "\n      sha256: " << loa::hexEncode(hash) << "\n";
    return 0;
}

int printKeys(const Options& o) {
    const auto settings = load(o);
    const loa::StationCredentials credentials(loa::loadOrCreateSecret(settings.gateway.secretFile()));
    if (!o.ingest.empty()) return printIngestKey(o, settings, credentials);
    loa::StationStream stream;
    if (!o.station.empty()) {
        const auto* found = settings.findStation(o.station);
        if (!found) throw loa::Error("no station '" + o.station + "' in " + o.config);
        loa::StationSettings station = *found;
        // A station an operator re-keyed (its state lost) has its key epoch in the state database.
        if (const auto db = settings.gateway.stateDir / "loa.db"; std::filesystem::exists(db)) {
            const auto epochs = loa::StateStore(db).keyEpochs();
            if (const auto it = epochs.find(station.id); it != epochs.end()) station.keyEpoch = it->second;
        }
        stream = credentials.describe(settings, station);
    } else {
        const auto* group = settings.findGroup(o.group);
        if (!group) throw loa::Error("no multicast group '" + o.group + "' in " + o.config);
        stream = credentials.describe(settings, *group);
    }
    // Where the latest run's streams began (0 for a gateway that has not run yet): a receiver
    // that starts with such a stream needs it; one joining later takes it from the API's SDP.
    const auto rolloverFile = settings.gateway.stateDir / "srtp-rollover";
    stream.rolloverCounter = std::filesystem::exists(rolloverFile) ? loa::IndexReservation::latestStart(rolloverFile)
                                                                   : std::optional<uint32_t>(0);
    if (!o.sdpOnly) {
        std::cout << (o.station.empty() ? "group: " : "station: ") << (o.station.empty() ? o.group : o.station) << "\n"
                  << "profile: " << loa::info(stream.profile).sdesName << "\n"
                  << "key: " << loa::base64Encode(stream.keyMaterial) << "\n"
                  << "ssrc: " << stream.ssrc << "\n"
                  << "crypto: " << loa::cryptoAttribute(stream.profile, stream.keyMaterial) << "\n";
        if (stream.rolloverCounter) {
            std::cout << "rollover counter: " << *stream.rolloverCounter
                      << " (where the latest run's streams began; it goes up by one every 65,536 packets, about 22 "
                         "minutes at 20 ms: a receiver joining later takes the current one from GET "
                         "/api/stations/ID/sdp)\n";
        } else {
            std::cout << "rollover counter: unknown (" << rolloverFile.string()
                      << " predates it): take it from GET /api/stations/ID/sdp\n";
        }
        std::cout << "gstreamer caps: " << loa::gstreamerCaps(stream) << "\n\n";
    }
    std::cout << loa::makeStationSdp(stream);
    return 0;
}

int run(const Options& o) {
    // Signals are taken through a signalfd by this thread only: block them before any thread starts.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    const int sfd = signalfd(-1, &signals, SFD_CLOEXEC);
    if (sfd < 0) loa::throwSystemError("signalfd", errno);

    auto settings = load(o);
    loa::log::setLevel(settings.gateway.logLevel);
    if (!o.logLevel.empty()) {
        loa::log::Level level;
        if (!loa::log::parseLevel(o.logLevel, level)) throw loa::Error("unknown log level '" + o.logLevel + "'");
        loa::log::setLevel(level);
    }

    loa::setProcessTimeZone(settings.gateway.timezone);  // before any thread starts
    loa::Gateway gateway(std::move(settings));
    gateway.start();
    loa::systemd::notify("READY=1\nSTATUS=serving");
    LOA_LOG(info, kMainTag) << "serving";

    const auto watchdog = loa::systemd::watchdogInterval();
    // Four times a second the meters go out; once a second (and at least twice per watchdog
    // interval) the upkeep runs and the watchdog hears whether the media thread advanced.
    using namespace std::chrono_literals;
    const auto upkeepEvery =
        watchdog ? std::min<std::chrono::microseconds>(1s, *watchdog / 2) : std::chrono::microseconds(1s);
    const int pollMs = static_cast<int>(std::min<int64_t>(250, std::max<int64_t>(1, upkeepEvery.count() / 1000)));
    auto nextUpkeep = std::chrono::steady_clock::now();
    uint64_t lastBeat = gateway.heartbeat();
    while (true) {
        pollfd pfd{sfd, POLLIN, 0};
        const int ready = ::poll(&pfd, 1, pollMs);
        gateway.publishLevels();
        if (std::chrono::steady_clock::now() >= nextUpkeep) {
            nextUpkeep += upkeepEvery;
            if (watchdog) {
                // Only a media thread that still advances keeps systemd's watchdog quiet.
                const uint64_t beat = gateway.heartbeat();
                if (beat != lastBeat) loa::systemd::notify("WATCHDOG=1");
                lastBeat = beat;
            }
            gateway.maintain();
        }
        if (ready <= 0) continue;
        signalfd_siginfo si{};
        if (::read(sfd, &si, sizeof si) != sizeof si) continue;
        if (si.ssi_signo == SIGHUP) {
            loa::systemd::notify("RELOADING=1");
            try {
                auto next = load(o);
                const std::string summary = gateway.reload(next);  // (a refusal throws before anything is logged)
                LOA_LOG(info, kMainTag) << "reloaded " << o.config << ": " << summary;
            } catch (const std::exception& e) {
                LOA_LOG(error, kMainTag) << "reload refused, still running on the previous config: " << e.what();
            }
            loa::systemd::notify("READY=1");
            continue;
        }
        LOA_LOG(info, kMainTag) << "stopping on " << strsignal(static_cast<int>(si.ssi_signo));
        loa::systemd::notify("STOPPING=1");
        break;
    }
    gateway.stop();
    ::close(sfd);
    return 0;
}
}  // namespace

int main(int argc, char** argv) {
    std::optional<Options> options;
    try {
        options = parseArgs(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "loa-gateway: " << e.what() << "\n" << kUsage;
        return 2;
    }
    if (!options) {
        std::cout << kUsage;
        return 0;
    }
    try {
        if (options->command == "version") {
            std::cout << "loa-gateway " << LOA_VERSION << "\n";
            return 0;
        }
        if (options->command == "check") {
            const auto s = loa::loadSettings(options->config);
            std::cout << options->config << ": valid (" << s.programmes.size() << " programme(s), " << s.stations.size()
                      << " station(s))\n";
            return 0;
        }
        if (options->command == "keys") return printKeys(*options);
        if (options->command == "token") return printToken(*options);
        return run(*options);
    } catch (const std::exception& e) {
        std::cerr << "loa-gateway: " << e.what() << "\n";
        return 1;
    }
}
