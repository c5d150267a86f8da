// loa-bench srtp: CPU per srtp_protect and memory per session as live sessions grow, for Loa's
// OpenSSL-backed libsrtp and, in the same run, Debian's NSS-backed shared libsrtp2 (loaded with
// dlopen so its symbols never mix with the static build's).

#include <dlfcn.h>
#include <srtp2/srtp.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "Measure.hpp"
#include "SrtpBench.hpp"
#include "srtp/FastSrtpSender.hpp"

namespace loa::bench {
namespace {

/// The libsrtp entry points the bench uses, from one build or the other.
struct SrtpApi {
    std::string name;
    srtp_err_status_t (*init)();
    srtp_err_status_t (*create)(srtp_t*, const srtp_policy_t*);
    srtp_err_status_t (*protect)(srtp_t, void*, int*);
    srtp_err_status_t (*dealloc)(srtp_t);
    void (*setCm80)(srtp_crypto_policy_t*);  ///< srtp_crypto_policy_set_rtp_default: CM-128 + HMAC-SHA1-80
};

double cpuSeconds() {
    return clockSeconds(CLOCK_PROCESS_CPUTIME_ID);
}

/// Protects 172-byte RTP packets (12-byte header, 160-byte payload) round robin over `sessions`
/// for up to `budgetSeconds` of CPU; `protect(session, packet, sequence)` does one. Returns CPU
/// µs per packet and sets `packets`.
template <class Protect>
double timeProtects(size_t sessions, double budgetSeconds, Protect protect, size_t& packets) {
    std::vector<uint16_t> seq(sessions, 0);
    uint8_t packet[256];
    packets = 0;
    const double start = cpuSeconds();
    double now = start;
    while (now - start < budgetSeconds && packets < 2'000'000) {
        for (int burst = 0; burst < 64; ++burst, ++packets) {
            const size_t s = packets % sessions;
            std::memset(packet, 0, sizeof packet);
            packet[0] = 0x80;
            packet[1] = 96;
            packet[2] = static_cast<uint8_t>(seq[s] >> 8);
            packet[3] = static_cast<uint8_t>(seq[s]);
            packet[11] = static_cast<uint8_t>(s);
            protect(s, packet, seq[s]++);
        }
        now = cpuSeconds();
    }
    return (now - start) * 1e6 / static_cast<double>(packets);
}

struct SrtpPoint {
    size_t sessions;
    double usPerProtect;
    double kibPerSession;
    size_t packets;
};

SrtpPoint measure(const SrtpApi& api, size_t sessions, double budgetSeconds) {
    const long heapBefore = heapBytes();
    std::vector<srtp_t> live(sessions);
    for (size_t i = 0; i < sessions; ++i) {
        srtp_policy_t policy;
        std::memset(&policy, 0, sizeof policy);
        api.setCm80(&policy.rtp);
        api.setCm80(&policy.rtcp);
        policy.ssrc.type = ssrc_any_outbound;
        unsigned char key[30];
        for (size_t k = 0; k < sizeof key; ++k)
            key[k] = static_cast<unsigned char>(i * 31 + k);
        policy.key = key;
        policy.window_size = 128;
        if (api.create(&live[i], &policy) != srtp_err_status_ok) {
            std::fprintf(stderr, "%s: srtp_create failed at session %zu\n", api.name.c_str(), i);
            return {sessions, 0, 0, 0};
        }
    }
    const long heapAfter = heapBytes();

    size_t packets = 0;
    const double us = timeProtects(
        sessions, budgetSeconds,
        [&](size_t s, uint8_t* packet, uint16_t) {
            int len = 172;
            api.protect(live[s], packet, &len);
        },
        packets);
    for (auto* s : live)
        api.dealloc(s);
    return {sessions, us, static_cast<double>(heapAfter - heapBefore) / 1024.0 / static_cast<double>(sessions),
            packets};
}

}  // namespace

int runSrtpBench(const std::vector<size_t>& sessionCounts, double budgetSeconds, const std::string& jsonPath) {
    std::vector<SrtpApi> apis;
    apis.push_back({"loa (libsrtp2 2.5.0, OpenSSL, static)", srtp_init, srtp_create, srtp_protect, srtp_dealloc,
                    srtp_crypto_policy_set_rtp_default});
    if (void* nss = dlopen("libsrtp2.so.1", RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND)) {
        SrtpApi api{
            "debian (libsrtp2.so.1, NSS)",
            reinterpret_cast<srtp_err_status_t (*)()>(dlsym(nss, "srtp_init")),
            reinterpret_cast<srtp_err_status_t (*)(srtp_t*, const srtp_policy_t*)>(dlsym(nss, "srtp_create")),
            reinterpret_cast<srtp_err_status_t (*)(srtp_t, void*, int*)>(dlsym(nss, "srtp_protect")),
            reinterpret_cast<srtp_err_status_t (*)(srtp_t)>(dlsym(nss, "srtp_dealloc")),
            reinterpret_cast<void (*)(srtp_crypto_policy_t*)>(dlsym(nss, "srtp_crypto_policy_set_rtp_default"))};
        if (api.init && api.create && api.protect && api.dealloc && api.setCm80) apis.push_back(api);
    } else {
        std::fprintf(stderr, "Debian's libsrtp2.so.1 not found (%s): measuring Loa's build only\n", dlerror());
    }

    std::string json = "{\"bench\":\"srtp\",\"packet_bytes\":172,\"profile\":\"AES_CM_128_HMAC_SHA1_80\",\"results\":[";
    std::printf("%-40s %10s %14s %14s %10s\n", "libsrtp build", "sessions", "us/protect", "KiB/session", "packets");
    bool first = true;
    for (const auto& api : apis) {
        api.init();
        for (size_t n : sessionCounts) {
            const SrtpPoint p = measure(api, n, budgetSeconds);
            std::printf("%-40s %10zu %14.3f %14.2f %10zu\n", api.name.c_str(), p.sessions, p.usPerProtect,
                        p.kibPerSession, p.packets);
            std::fflush(stdout);
            char row[256];
            std::snprintf(row, sizeof row,
                          "%s{\"build\":\"%s\",\"sessions\":%zu,\"us_per_protect\":%.4f,\"kib_per_session\":%.3f,"
                          "\"packets\":%zu}",
                          first ? "" : ",", api.name.c_str(), p.sessions, p.usPerProtect, p.kibPerSession, p.packets);
            json += row;
            first = false;
        }
    }
    // Loa's sender fast path over the same packets and session counts.
    if (FastSrtpSender::supported()) {
        for (size_t n : sessionCounts) {
            const long heapBefore = heapBytes();
            std::vector<std::unique_ptr<FastSrtpSender>> live;
            for (size_t i = 0; i < n; ++i) {
                uint8_t key[30];
                for (size_t k = 0; k < sizeof key; ++k)
                    key[k] = static_cast<uint8_t>(i * 31 + k);
                live.push_back(std::make_unique<FastSrtpSender>(std::span<const uint8_t>(key, sizeof key)));
            }
            const long heapAfter = heapBytes();
            size_t packets = 0;
            const double us = timeProtects(
                n, budgetSeconds,
                [&](size_t s, uint8_t* packet, uint16_t sequence) {
                    live[s]->protect({packet, 256}, 172, static_cast<uint32_t>(s), sequence);
                },
                packets);
            const double kib = static_cast<double>(heapAfter - heapBefore) / 1024.0 / static_cast<double>(n);
            std::printf("%-40s %10zu %14.3f %14.2f %10zu\n", "loa sender fast path (AES-NI)", n, us, kib, packets);
            char row[256];
            std::snprintf(row, sizeof row,
                          ",{\"build\":\"loa sender fast path\",\"sessions\":%zu,\"us_per_protect\":%.4f,"
                          "\"kib_per_session\":%.3f,\"packets\":%zu}",
                          n, us, kib, packets);
            json += row;
        }
    }
    json += "]}";
    std::printf("%s\n", json.c_str());
    if (!jsonPath.empty()) std::ofstream(jsonPath) << json << "\n";
    return 0;
}

}  // namespace loa::bench
