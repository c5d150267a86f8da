#pragma once
// A refused API request with its HTTP status: the API's own refusals (a body that is not JSON,
// a bad query value) and the control rules' refusals mapped to their status.

#include <string>

#include "common/Error.hpp"
#include "control/Refusal.hpp"

namespace loa {

class RequestError : public Error {
public:
    RequestError(int status, const std::string& what) : Error(what), status_(status) {}
    int status() const { return status_; }

private:
    int status_;
};

/// 400, 403, 404 or 409.
constexpr int httpStatus(RefusalReason reason) {
    switch (reason) {
        case RefusalReason::invalid:
            return 400;
        case RefusalReason::forbidden:
            return 403;
        case RefusalReason::notFound:
            return 404;
        case RefusalReason::conflict:
            return 409;
    }
    return 400;
}

}  // namespace loa
