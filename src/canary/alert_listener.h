// AlertListener: what plugs into the canary daemon's alerts (webhooks,
// --block). The daemon converts each detect::Alert into a store::AlertRecord,
// queues it for the store, then hands it to every listener.
//
// Called on the daemon's detection thread, for every phase (started, updated,
// ended): a listener must not block (queue the work and return) and decides
// for itself what deserves a notification.
#ifndef PORTSCOPE_CANARY_ALERT_LISTENER_H_
#define PORTSCOPE_CANARY_ALERT_LISTENER_H_

#include "store/event.h"

namespace portscope::canary {

class AlertListener {
 public:
  virtual ~AlertListener() = default;
  virtual void OnAlert(const store::AlertRecord& alert) = 0;
};

}  // namespace portscope::canary

#endif  // PORTSCOPE_CANARY_ALERT_LISTENER_H_
