#include "control/StationRegistry.hpp"

#include "common/Log.hpp"
#include "rtp/Rtcp.hpp"
#include "net/UdpSocket.hpp"
#include "rtp/RtpPacket.hpp"
#include "srtp/StationKeys.hpp"

namespace loa {
namespace {
constexpr std::string_view kStationRegistryTag = "stations";
}

StationRegistry::StationRegistry(StateStore& store, int offlineAfterS, ReplayFloors* floors)
    : store_(store), offlineAfterS_(offlineAfterS), floors_(floors), saved_(savedAddresses()) {}

void StationRegistry::setStations(const std::vector<RegisteredStation>& stations) {
    std::lock_guard lock(mutex_);
    std::map<std::string, Entry> next;
    byReporter_.clear();
    for (const auto& s : stations) {
        auto& e = next[s.id];
        if (auto old = stations_.find(s.id); old != stations_.end() &&
                                             old->second.station.keyMaterial == s.keyMaterial &&
                                             old->second.station.profile == s.profile) {
            e = std::move(old->second);  // keeps its status and replay window
        }
        adopt(e, s);
    }
    stations_ = std::move(next);
}

void StationRegistry::adopt(Entry& e, const RegisteredStation& s) {
    e.station = s;
    // Floors are per key: a station given a new key starts afresh.
    if (floors_ && !e.floor)
        e.floor = &floors_->stream("station:" + s.id + ":" + keyFingerprint(s.keyMaterial), kFloorMargin);
    // Where it was served before a restart, as the fan-out has it, until a report says more.
    if (const auto saved = saved_.find(s.id); saved != saved_.end() && !e.status.learned)
        e.status.learned = saved->second;
    byReporter_.emplace(reporterSsrcFor(s.streamSsrc), s.id);
}

void StationRegistry::forgetReporter(const std::string& id) {
    const auto it = stations_.find(id);
    if (it == stations_.end()) return;
    auto [first, last] = byReporter_.equal_range(reporterSsrcFor(it->second.station.streamSsrc));
    while (first != last)
        first = first->second == id ? byReporter_.erase(first) : std::next(first);
}

void StationRegistry::update(const std::vector<RegisteredStation>& upserted, const std::vector<std::string>& removed) {
    std::lock_guard lock(mutex_);
    for (const auto& id : removed) {
        forgetReporter(id);
        stations_.erase(id);
    }
    for (const auto& s : upserted) {
        forgetReporter(s.id);
        Entry e;
        if (auto old = stations_.find(s.id); old != stations_.end() &&
                                             old->second.station.keyMaterial == s.keyMaterial &&
                                             old->second.station.profile == s.profile)
            e = std::move(old->second);  // keeps its status and replay window
        adopt(e, s);
        stations_[s.id] = std::move(e);
    }
}

std::map<std::string, SocketAddress> StationRegistry::savedAddresses() {
    std::map<std::string, SocketAddress> out;
    for (const auto& [id, address] : store_.learnedAddresses()) {
        if (auto a = SocketAddress::parse(address)) out.emplace(id, *a);
    }
    return out;
}

std::optional<StationMove> StationRegistry::handle(std::span<uint8_t> datagram, const SocketAddress& from,
                                                  int64_t nowMs) {
    std::lock_guard lock(mutex_);
    const auto ssrc = looksLikeRtcp(datagram) ? rtcpSenderSsrc(datagram) : std::nullopt;
    if (!ssrc) {
        ++counters_.malformed;
        refuse(from, "not an RTCP packet", std::nullopt);
        return std::nullopt;
    }
    const auto [first, last] = byReporter_.equal_range(*ssrc);
    if (first == last) {
        ++counters_.unknown;
        refuse(from, "no station reports under this SSRC", ssrc);
        return std::nullopt;
    }
    // Two stations could share a reporter SSRC: the one whose key authenticates the report is it.
    bool replayed = false;
    for (auto it = first; it != last; ++it) {
        auto& e = stations_.at(it->second);
        if (!e.srtcp) {
            e.srtcp = std::make_unique<SrtpSession>(SrtpSession::Direction::inbound, e.station.profile,
                                                    e.station.keyMaterial, *ssrc);
        }
        uint8_t copy[kMaxDatagram];  // decrypted here: the datagram stays as sent for the next key
        if (datagram.size() > sizeof copy) break;
        std::copy(datagram.begin(), datagram.end(), copy);
        size_t length = datagram.size();
        const auto index = SrtpSession::rtcpIndexOf(e.station.profile, datagram);
        const SrtpResult result = e.srtcp->unprotectRtcp({copy, sizeof copy}, length);
        replayed = replayed || result == SrtpResult::replay;
        if (result != SrtpResult::ok || !index) continue;
        const auto report = parseReceiverReport({copy, length});
        if (!report) {
            ++counters_.malformed;
            return std::nullopt;
        }
        if (e.floor) {
            const auto verdict = e.floor->admit(*index);
            if (verdict == ReplayFloors::Stream::Verdict::stale) {
                ++counters_.stale;
                refuse(from,
                       "report index " + std::to_string(*index) + " at or below the durable floor " +
                           std::to_string(e.floor->floor()) + " (captured before a restart)",
                       ssrc);
                return std::nullopt;
            }
            if (*index <= e.floor->highest()) {
                // Reports come in order: one at or below the newest taken is a replay, even where
                // libsrtp's window is new (the station was removed and added again in this run).
                ++counters_.replays;
                refuse(from, "a replay (its index was taken before)", ssrc);
                return std::nullopt;
            }
            if (verdict == ReplayFloors::Stream::Verdict::ahead) {
                // A station that rebooted (its index jumped) or is new: taken by settle(), once
                // its floor is saved.
                ++counters_.ahead;
                pending_.push_back({e.station.id, *index, *report, from, nowMs});
                return std::nullopt;
            }
        }
        return take(e, *index, *report, from, nowMs);
    }
    // Forged, replayed or under another key: nothing changes.
    if (replayed) {
        ++counters_.replays;
        refuse(from, "a replay (its index was seen before)", ssrc);
    } else {
        ++counters_.authFailures;
        refuse(from, "authentication failed", ssrc);
    }
    return std::nullopt;
}

std::vector<StationMove> StationRegistry::settle() {
    std::vector<Pending> pending;
    {
        std::lock_guard lock(mutex_);
        pending.swap(pending_);
    }
    if (pending.empty() || !floors_) return {};
    const bool saved = floors_->flush();  // one transaction for every report waiting
    std::vector<StationMove> moves;
    std::lock_guard lock(mutex_);
    for (auto& p : pending) {
        const auto it = stations_.find(p.station);
        if (it == stations_.end() || !it->second.floor) continue;  // removed meanwhile
        auto& e = it->second;
        if (!saved || e.floor->admit(p.index) != ReplayFloors::Stream::Verdict::ok) {
            ++counters_.unsaved;
            uint64_t suppressed = 0;
            if (storageLog_.allow(suppressed)) {
                LOA_LOG(error, kStationRegistryTag) << e.station.id << ": report index " << p.index
                                     << " not taken: its replay floor cannot be saved (" << suppressed
                                     << " more not shown)";
            }
            continue;
        }
        if (auto move = take(e, p.index, p.report, p.from, p.nowMs)) moves.push_back(std::move(*move));
    }
    return moves;
}

std::optional<StationMove> StationRegistry::take(Entry& e, uint64_t index, const ReceiverReport& report,
                                                 const SocketAddress& from, int64_t nowMs) {
    if (e.floor) e.floor->accepted(index);
    ++counters_.reports;
    auto& s = e.status;
    if (!online(s, nowMs)) s.onlineSinceMs = nowMs;
    s.everHeard = true;
    s.lastSeenMs = nowMs;
    ++s.reports;
    if (report.hasBlock) {
        s.fractionLost = report.fractionLost;
        s.cumulativeLost = report.cumulativeLost;
        s.jitterMs = report.jitter / 48.0;
    }
    if (s.learned && *s.learned == from) return std::nullopt;
    try {
        store_.saveLearnedAddress(e.station.id, from.toString(), nowMs);  // on disk before it is used
    } catch (const StorageError& error) {
        // Not saved, not used: the station is served where it was until a report can be.
        uint64_t suppressed = 0;
        if (storageLog_.allow(suppressed)) {
            LOA_LOG(error, kStationRegistryTag) << e.station.id << ": reports from " << from.toString()
                                 << " but its address cannot be saved (" << error.what()
                                 << "); it is served at its old address (" << suppressed << " more not shown)";
        }
        ++counters_.unsaved;
        return std::nullopt;
    }
    LOA_LOG(info, kStationRegistryTag) << e.station.id << ": reports from " << from.toString()
                        << (s.learned ? " (was " + s.learned->toString() + ")" : "") << "; its stream goes there";
    s.learned = from;
    ++counters_.moves;
    return StationMove{e.station.id, from};
}

void StationRegistry::refuse(const SocketAddress& from, std::string_view why, std::optional<uint32_t> ssrc) {
    uint64_t suppressed = 0;
    if (refusalLog_.allow(suppressed)) {
        LOA_LOG(warn, kStationRegistryTag) << "datagram from " << from.toString()
                            << (ssrc ? " (SSRC " + std::to_string(*ssrc) + ")" : std::string()) << " refused: " << why
                            << " (" << suppressed << " more refusals not shown)";
    }
}

std::optional<StationStatus> StationRegistry::status(const std::string& id) {
    std::lock_guard lock(mutex_);
    const auto it = stations_.find(id);
    if (it == stations_.end()) return std::nullopt;
    return it->second.status;
}

RegistryCounters StationRegistry::counters() {
    std::lock_guard lock(mutex_);
    return counters_;
}

}  // namespace loa
