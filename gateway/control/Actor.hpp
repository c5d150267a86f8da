#pragma once
// Who acts on the gateway: an operator by a token's name and role (from an address), a parent
// gateway, or the gateway itself. The roles are what the control rules allow; the API maps its
// tokens to them, the audit log records them.

#include <string>
#include <string_view>

namespace loa {

/// What a token may do: read (viewer), change stations and the schedule (operator), trigger and
/// cancel emergencies (emergency), everything (admin).
enum class Role { viewer, operator_, emergency, admin };
/// "viewer", "operator", "emergency", "admin".
constexpr std::string_view toString(Role role) {
    switch (role) {
        case Role::viewer:
            return "viewer";
        case Role::operator_:
            return "operator";
        case Role::emergency:
            return "emergency";
        case Role::admin:
            return "admin";
    }
    return "unknown";
}

struct Actor {
    std::string name;
    Role role = Role::viewer;
    std::string address;  ///< where the request came from ("" for the gateway's own)
};

}  // namespace loa
