#pragma once
// What a station is: where its stream goes, its key, and what targets it (area, groups, tests).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/SocketAddress.hpp"
#include "srtp/SrtpProfile.hpp"

namespace loa {

struct StationSettings {
    std::string id;
    std::string name;
    std::string programme;
    SocketAddress address;  ///< where its stream goes; unset (length 0): learned from its reports
    int port = 5004;        ///< without an address: the port its SDP tells it to receive on
    bool learnsAddress() const { return address.length() == 0; }
    SrtpProfile profile = SrtpProfile::aesCm128HmacSha1_80;
    std::optional<std::vector<uint8_t>> key;  ///< master key || salt, when given in config
    /// Administrative area: province / district / commune codes, e.g. "01/001/00001".
    std::string area;
    std::vector<std::string> groups;  ///< named groups an emergency can target
    bool acceptsTests = false;        ///< receives test and exercise emergencies
    /// Its derived key's epoch: raised by an operator's re-key (state database), never in YAML.
    uint32_t keyEpoch = 0;
};

}  // namespace loa
