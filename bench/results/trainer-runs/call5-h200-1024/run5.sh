#!/bin/bash
# GPU session of 2026-11-21 (#5): synthetic 21 machines x 160 parts at strength 1.2, 1024 px at 5.3 um,
# ROI 224 px (1.19 mm). EfficientNetV2-S (input 448) on the reference schedule, timed; then
# MobileNetV3-Small (input 224) on all 21 machines and on 20 (M21 held out, open set), side by side.
set -u
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD/trainer
W=/tmp/w; mkdir -p $W/res $W/onnx
T0=$(date +%s)
el() { echo "[$(( $(date +%s) - T0 )) s] $*" | tee -a $W/res/timeline.txt; }
mkdir -p /tmp/gen/node_modules && xz -dc .carry/node.xz > /tmp/gen/node && chmod +x /tmp/gen/node && tar -xJf .carry/sharp.tar.xz -C /tmp/gen/node_modules && cp .carry/synth-dataset.mjs /tmp/gen/
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > $W/res/gpu.txt; nproc >> $W/res/gpu.txt
python3 -c "import torch;print(torch.__version__)" >> $W/res/gpu.txt
el generate
( cd /tmp/gen && ./node synth-dataset.mjs --out /tmp/s12 --machines 21 --train 100 --val 10 --test 50 --size 1024 --downscale 1 --strength 1.2 --shards 16 ) > $W/res/generate.txt 2>&1
el generated
python3 - <<'EOF'
import json, os
d = json.load(open('/tmp/s12/dataset.json'))
os.makedirs('/tmp/s12-open', exist_ok=True)
d['classes'] = d['classes'][:20]
d['items'] = [it for it in d['items'] if it['label'] < 20]
json.dump(d, open('/tmp/s12-open/dataset.json', 'w'))
os.symlink('/tmp/s12/images', '/tmp/s12-open/images')
EOF
el train v2s
python3 -m partprint_trainer.train --dataset /tmp/s12 --out /tmp/v2s --name synth21-s1.2-efficientnet_v2_s --arch efficientnet_v2_s \
  --roi-side 224 --input-size 448 --epochs 200 --batch-size 16 --val-every 5 --val-rois 4 --ckpt-every 50 --workers 14 > $W/res/v2s.txt 2>&1
el v2s done rc=$?
mkdir -p $W/res/v2s; cp /tmp/v2s/model.json /tmp/v2s/log.jsonl /tmp/v2s/metrics.json $W/res/v2s/ 2>/dev/null; ls -la /tmp/v2s >> $W/res/v2s.txt
touch $W/V2S_DONE
el train mnv3s full and open
for n in full open; do
  ds=/tmp/s12; [ $n = open ] && ds=/tmp/s12-open
  python3 -m partprint_trainer.train --dataset $ds --out /tmp/mnv3s-$n --name synth$([ $n = open ] && echo 20-open || echo 21)-s1.2-mobilenet_v3_small --arch mobilenet_v3_small \
    --roi-side 224 --input-size 224 --epochs 200 --batch-size 16 --val-every 2 --val-rois 4 --ckpt-every 50 --workers 7 > $W/res/mnv3s-$n.txt 2>&1 &
done
wait
el mnv3s done
for n in full open; do mkdir -p $W/res/mnv3s-$n; cp /tmp/mnv3s-$n/model.json /tmp/mnv3s-$n/log.jsonl /tmp/mnv3s-$n/metrics.json $W/res/mnv3s-$n/ 2>/dev/null; cp /tmp/mnv3s-$n/model.onnx $W/onnx/mnv3s-$n.onnx 2>/dev/null; done
el all done
touch $W/DONE
