#include "common/Error.hpp"

#include <cstring>

namespace loa {

void throwSystemError(const std::string& what, int err) {
    char buf[256];
    const char* msg = strerror_r(err, buf, sizeof buf);
    throw Error(what + ": " + msg);
}

}  // namespace loa
