#!/bin/bash
# Waits for the detached run5.sh (at most $1 s), then packs what it has into $OUT.
LIMIT=${1:-560}
while [ ! -f /tmp/w/DONE ] && [ $SECONDS -lt $LIMIT ]; do sleep 5; done
cat /tmp/w/res/timeline.txt; grep -v Warn /tmp/w/res/v2s.txt | tail -4; for n in full open; do [ -f /tmp/w/res/mnv3s-$n.txt ] && grep -v Warn /tmp/w/res/mnv3s-$n.txt | tail -2; done
cp /tmp/v2s/log.jsonl /tmp/w/res/v2s-log-partial.jsonl 2>/dev/null
tar -C /tmp/w -czf $OUT/res.tgz res; cp /tmp/w/onnx/*.onnx $OUT/ 2>/dev/null; ls -la $OUT
