#!/bin/bash
# Device call for #12 (harder synthetic set): 8 machines x 70 parts (40 train / 10 val / 20 test),
# 1024 px at 5.3 um, at two generator strengths; the classical baseline (TypeScript, carried node) on
# the CPUs while MobileNetV3-Small and EfficientNetV2-S train on the GPU.
set -u
C=$PWD/.carry/source
export PYTHONUNBUFFERED=1 PYTHONPATH=$C/trainer PARTPRINT_CARD_SCHEMA=$C/schemas/model-card.schema.json
W=/tmp/w2; mkdir -p $W/res; T0=$(date +%s)
el() { echo "[$(( $(date +%s) - T0 )) s] $*" | tee -a $W/res/timeline.txt; }
G=/tmp/gen; mkdir -p $G/node_modules && xz -dc $C/node.xz > $G/node && chmod +x $G/node && tar -xJf $C/sharp.tar.xz -C $G/node_modules && cp $C/synth-dataset.mjs $C/baseline.mjs $G/
S1=${S1:-0.6}; S2=${S2:-0.8}; SEC=${SEC:-330}
for s in $S1 $S2; do ( cd $G && ./node synth-dataset.mjs --out /tmp/h$s --machines 8 --train 40 --val 10 --test 20 --size 1024 --downscale 1 --strength $s --shards 8 > $W/res/gen-$s.txt 2>&1 ) & done; wait
el generated
for s in $S1 $S2; do ( cd $G && ./node baseline.mjs --dataset /tmp/h$s --side 224 --train-rois 16 --splits val,test --out $W/res/baseline-$s.json > $W/res/baseline-$s.txt 2>&1; el "baseline $s done" ) & done
common="--arch mobilenet_v3_small --roi-side 224 --input-size 224 --batch-size 32 --val-every 2 --val-rois 16 --workers 2 --norm per-roi --max-seconds $SEC"
run() { n=$1; shift; python3 -m partprint_trainer.train --out /tmp/$n --name $n "$@" > $W/res/$n.txt 2>&1; el "$n done rc=$?"; }
for s in $S1 $S2; do
  run h$s-mnv3s-r1-plain --dataset /tmp/h$s $common --rois-per-part 1 --epochs 600 --lr-decay 0.995 &
  run h$s-mnv3s-r16-light --dataset /tmp/h$s $common --rois-per-part 16 --photometric light --label-smoothing 0.1 --ema 0.998 --epochs 60 --lr-decay 0.95 &
done
run h$S1-v2s-r8-light --dataset /tmp/h$S1 ${common/mobilenet_v3_small/efficientnet_v2_s} --rois-per-part 8 --photometric light --label-smoothing 0.1 --ema 0.998 --epochs 60 --lr-decay 0.95 &
wait
el all done
for d in /tmp/h*-*/; do n=$(basename $d); [ -f $d/model.json ] || continue; mkdir -p $W/res/$n; cp $d/model.json $d/log.jsonl $W/res/$n/; done
cp /tmp/h$S1/dataset.json $W/res/h$S1-dataset.json; cp /tmp/h$S2/dataset.json $W/res/h$S2-dataset.json
tar -C $W -cJf $OUT/res.tar.xz res
for s in $S1 $S2; do for r in r1-plain r16-light; do cp /tmp/h$s-mnv3s-$r/model.onnx $OUT/h$s-mnv3s-$r.onnx 2>/dev/null; done; done
python3 - <<'PY'
import json, glob, os
for f in sorted(glob.glob('/tmp/w2/res/*/model.json')):
    c = json.load(open(f)); m = c['metrics']
    print(os.path.basename(os.path.dirname(f)), 'val', round(m['selection'].get('acc'), 4), round(m['selection'].get('loss'), 4), 'ep', m['selection'].get('epoch'), 'test', round(m['test']['accuracy'], 4), '1roi', round(m['test']['singleRoiAccuracy'], 4), m['test']['accuracyByRois'], 'ips', c['training']['imagesPerSecond'], 'epochs', c['training'].get('epochsRun'))
PY
cat $W/res/baseline-*.txt
