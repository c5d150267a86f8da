#include "app/StationCredentials.hpp"

#include "srtp/StationKeys.hpp"

namespace loa {
namespace {
StationStream withFormat(const Settings& settings, StationStream stream, const std::string& programmeId) {
    const auto* programme = settings.findProgramme(programmeId);
    stream.programmeName = programme->name;
    stream.payloadType = programme->payloadType;
    stream.channels = programme->encoder.channels;
    stream.frameMs = programme->encoder.frameMs;
    stream.priorityExtensionId = settings.gateway.priorityExtensionId;
    return stream;
}
}  // namespace

uint32_t StationCredentials::ssrc(const StationSettings& station) const {
    return deriveStationSsrc(secret_, station.id);
}

std::vector<uint8_t> StationCredentials::key(const StationSettings& station) const {
    if (station.key) return *station.key;
    return deriveStationKey(secret_, station.id, station.profile, station.keyEpoch);
}

uint32_t StationCredentials::ssrc(const MulticastGroupSettings& group) const {
    return deriveGroupSsrc(secret_, group.id);
}

std::vector<uint8_t> StationCredentials::key(const MulticastGroupSettings& group) const {
    if (group.key) return *group.key;
    return deriveGroupKey(secret_, group.id, group.profile);
}

RegisteredStation StationCredentials::registration(const StationSettings& station) const {
    return {station.id, ssrc(station), station.profile, key(station)};
}

StationStream StationCredentials::describe(const Settings& settings, const StationSettings& station) const {
    StationStream stream;
    stream.stationId = station.id;
    stream.destination =
        station.learnsAddress() ? *SocketAddress::parse("0.0.0.0:" + std::to_string(station.port)) : station.address;
    stream.profile = station.profile;
    stream.keyMaterial = key(station);
    stream.ssrc = ssrc(station);
    if (!settings.gateway.mediaListen.isUnspecified()) stream.reportTo = settings.gateway.mediaListen;
    return withFormat(settings, stream, station.programme);
}

StationStream StationCredentials::describe(const Settings& settings, const MulticastGroupSettings& group) const {
    StationStream stream;
    stream.stationId = groupDestinationId(group.id);
    stream.destination = group.address;
    stream.profile = group.profile;
    stream.keyMaterial = key(group);
    stream.ssrc = ssrc(group);
    return withFormat(settings, stream, group.programme);
}

ProgrammeSettings StationCredentials::withIngestKeys(ProgrammeSettings programme) const {
    for (auto [feed, kind] : {std::pair{&programme.live, "live"}, std::pair{&programme.upstream, "upstream"}}) {
        if (*feed && !(*feed)->key && !(*feed)->allowPlainRtp)
            (*feed)->key = deriveIngestKey(secret_, programme.id + "/" + kind, (*feed)->profile);
    }
    return programme;
}

std::string groupDestinationId(const std::string& groupId) {
    return "group:" + groupId;
}

}  // namespace loa
