#!/bin/bash
# Device call for #12 goal 3: EfficientNetV2-S on the harder synthetic set (strength 0.8, 8 machines x 70 parts,
# 1024 px; the same bytes as the bench's set: md5 of every image written back) with the bundled model's recipe
# (16 ROIs per part per epoch, per-ROI normalisation, LAMB, lr decay 0.98), wall-clock capped.
# .carry/synth2 holds: node.xz (`strip`ped /usr/bin/node, xz -9: 22 MB), sharp.tar.xz (node_modules/{sharp,detect-libc,
# semver,@img}), synth-dataset.mjs (esbuild bundle as in trainer/README.md), trainer/ and schemas/model-card.schema.json.
set -u
C=$PWD/.carry/synth2
export PYTHONUNBUFFERED=1 PYTHONPATH=$C/trainer PARTPRINT_CARD_SCHEMA=$C/schemas/model-card.schema.json
W=/tmp/wv; mkdir -p $W/res; T0=$(date +%s)
el() { echo "[$(( $(date +%s) - T0 )) s] $*" | tee -a $W/res/timeline.txt; }
G=/tmp/gen; mkdir -p $G/node_modules && xz -T4 -dc $C/node.xz > $G/node && chmod +x $G/node && tar -xJf $C/sharp.tar.xz -C $G/node_modules && cp $C/synth-dataset.mjs $G/
( cd $G && ./node synth-dataset.mjs --out /tmp/h0.8 --machines 8 --train 40 --val 10 --test 20 --size 1024 --downscale 1 --strength 0.8 --shards 16 > $W/res/gen.txt 2>&1 )
el generated
(cd /tmp/h0.8/images && md5sum *.png > $W/res/md5.txt)
n=h0.8-v2s-r16-plain
python3 -m partprint_trainer.train --dataset /tmp/h0.8 --out /tmp/$n --name $n --arch efficientnet_v2_s --roi-side 224 --input-size 224 --batch-size 32 --val-every 3 --val-rois 16 --workers 12 --norm per-roi --rois-per-part 16 --epochs 150 --lr-decay 0.98 --max-seconds ${SEC:-300} > $W/res/$n.txt 2>&1
el "$n done rc=$?"
mkdir -p $W/res/$n; cp /tmp/$n/model.json /tmp/$n/log.jsonl $W/res/$n/ 2>/dev/null
tar -C $W -cJf $OUT/res.tar.xz res
cp /tmp/$n/model.onnx $OUT/$n.onnx 2>/dev/null
tail -3 $W/res/$n.txt
