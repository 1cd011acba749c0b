#!/bin/sh
# Creates the namespace and registers the engine's search attributes (run once the server is healthy).
set -eu
NAMESPACE=${DEFAULT_NAMESPACE:-default}
ADDRESS=${TEMPORAL_ADDRESS:-temporal:7233}
attempt=0
until temporal operator cluster health --address "$ADDRESS"; do
  attempt=$((attempt + 1))
  [ "$attempt" -ge 12 ] && { echo "Temporal did not become healthy"; exit 1; }
  sleep 5
done
temporal operator namespace describe -n "$NAMESPACE" --address "$ADDRESS" ||
  temporal operator namespace create -n "$NAMESPACE" --address "$ADDRESS"
# Keep in sync with src/contract/search-attributes.ts (a test checks it).
for pair in HuntEntityType=Keyword HuntEntityKey=Keyword HuntLastEventType=Keyword HuntConfigVersion=Keyword \
  HuntDeadLetters=Int HuntEventCount=Int HuntRulesFired=KeywordList HuntEnded=Bool \
  HuntOperation=Keyword HuntTarget=Keyword HuntWaitingOn=KeywordList; do
  temporal operator search-attribute create -n "$NAMESPACE" --address "$ADDRESS" \
    --name "${pair%%=*}" --type "${pair#*=}" || true
done
echo "Namespace '$NAMESPACE' ready"
