/**
 * The demo station's inventory as data (docs/domain.md): Xinhua community's
 * emergency service station. `make-demo-station.ts` turns this table into
 * config/stations/xinhua.json; edit the table, not the JSON.
 */

export const DEMO_STATION = { id: 'xinhua', name: '新华社区应急服务站', timezone: 'Asia/Shanghai' } as const

export const DEMO_DOORS = [
  { id: 'main', name: '正门' },
  { id: 'equipment-room', name: '器材室' },
] as const

/** Two keys a door: one kept by the property company, one by the community office; slot = place in the key box. */
export const DEMO_KEYS = [
  { slot: '1', id: 'key-main-property', name: '正门钥匙（物业）', opens: ['main'], holder: 'property' },
  { slot: '2', id: 'key-main-community', name: '正门钥匙（社区）', opens: ['main'], holder: 'community' },
  { slot: '3', id: 'key-equipment-room-property', name: '器材室钥匙（物业）', opens: ['equipment-room'], holder: 'property' },
  { slot: '4', id: 'key-equipment-room-community', name: '器材室钥匙（社区）', opens: ['equipment-room'], holder: 'community' },
] as const

/** Suffixes of the device ids (`xinhua-<suffix>`). */
export const DEMO_DOOR_DEVICES = [
  { suffix: 'door-main', door: 'main' },
  { suffix: 'door-equipment-room', door: 'equipment-room' },
] as const
export const DEMO_KEYBOX = 'keybox'

/**
 * Equipment readers: the RFID shelf in the hall holds the professional kit; the
 * equipment room has two shelves with tag readers and a floor scale area for
 * bulky stock.
 */
export type ReaderSuffix = 'shelf-professional' | 'shelf-a' | 'shelf-b' | 'room-bulk'
export const DEMO_READERS: readonly ReaderSuffix[] = ['shelf-professional', 'shelf-a', 'shelf-b', 'room-bulk']

interface ItemRow {
  id: string
  name: string
  category: string
  kind: 'professional' | 'supply'
  /** counted items only: below this the stock is low */
  min?: number
  reader: ReaderSuffix
}

const P = 'professional' as const
const S = 'supply' as const

// 8 kinds of professional rescue equipment in 4 categories.
const PROFESSIONAL: ItemRow[] = [
  { id: 'hydraulic-spreader-cutter', name: '液压扩张剪切钳', category: 'breaching', kind: P, reader: 'shelf-professional' },
  { id: 'cut-off-saw', name: '无齿锯', category: 'breaching', kind: P, reader: 'shelf-professional' },
  { id: 'car-moving-dollies', name: '挪车器', category: 'lifting-moving', kind: P, reader: 'shelf-professional' },
  { id: 'lifting-air-bags', name: '起重气垫', category: 'lifting-moving', kind: P, reader: 'shelf-professional' },
  { id: 'leakage-detector', name: '漏电检测仪', category: 'electrical', kind: P, reader: 'shelf-professional' },
  { id: 'insulated-rescue-hook', name: '绝缘救援钩', category: 'electrical', kind: P, reader: 'shelf-professional' },
  { id: 'portable-floodlight', name: '移动照明灯', category: 'lighting-comms', kind: P, reader: 'shelf-professional' },
  { id: 'two-way-radios', name: '对讲机', category: 'lighting-comms', kind: P, reader: 'shelf-professional' },
]

// 34 kinds of everyday supplies in 9 categories.
const SUPPLIES: ItemRow[] = [
  { id: 'first-aid-kits', name: '急救箱', category: 'first-aid', kind: S, min: 2, reader: 'shelf-a' },
  { id: 'stretcher', name: '折叠担架', category: 'first-aid', kind: S, reader: 'shelf-a' },
  { id: 'elastic-bandages', name: '弹性绷带', category: 'first-aid', kind: S, min: 20, reader: 'shelf-a' },
  { id: 'tourniquets', name: '止血带', category: 'first-aid', kind: S, min: 10, reader: 'shelf-a' },
  { id: 'disinfectant', name: '医用消毒液', category: 'first-aid', kind: S, min: 6, reader: 'shelf-a' },

  { id: 'fire-extinguishers', name: '干粉灭火器', category: 'fire', kind: S, min: 4, reader: 'shelf-a' },
  { id: 'fire-blanket', name: '灭火毯', category: 'fire', kind: S, reader: 'shelf-a' },
  { id: 'escape-hoods', name: '消防自救呼吸器', category: 'fire', kind: S, min: 10, reader: 'shelf-a' },
  { id: 'fire-axe', name: '消防斧', category: 'fire', kind: S, reader: 'shelf-a' },

  { id: 'sandbags', name: '防汛沙袋', category: 'flood', kind: S, min: 50, reader: 'room-bulk' },
  { id: 'flood-barrier', name: '挡水板', category: 'flood', kind: S, reader: 'room-bulk' },
  { id: 'drainage-pump', name: '排水泵', category: 'flood', kind: S, reader: 'room-bulk' },
  { id: 'rain-boots', name: '防汛雨靴', category: 'flood', kind: S, min: 6, reader: 'room-bulk' },

  { id: 'crowbar', name: '撬棍', category: 'hand-tools', kind: S, reader: 'shelf-a' },
  { id: 'shovels', name: '铁锹', category: 'hand-tools', kind: S, min: 4, reader: 'shelf-a' },
  { id: 'sledgehammer', name: '大锤', category: 'hand-tools', kind: S, reader: 'shelf-a' },
  { id: 'bolt-cutter', name: '断线钳', category: 'hand-tools', kind: S, reader: 'shelf-a' },

  { id: 'flashlights', name: '手电筒', category: 'lighting', kind: S, min: 10, reader: 'shelf-b' },
  { id: 'headlamps', name: '头灯', category: 'lighting', kind: S, min: 6, reader: 'shelf-b' },
  { id: 'batteries', name: '备用电池', category: 'lighting', kind: S, min: 40, reader: 'shelf-b' },

  { id: 'safety-helmets', name: '安全帽', category: 'protection', kind: S, min: 12, reader: 'shelf-b' },
  { id: 'masks', name: '防护口罩', category: 'protection', kind: S, min: 100, reader: 'shelf-b' },
  { id: 'work-gloves', name: '防护手套', category: 'protection', kind: S, min: 24, reader: 'shelf-b' },
  { id: 'reflective-vests', name: '反光背心', category: 'protection', kind: S, min: 12, reader: 'shelf-b' },

  { id: 'emergency-tent', name: '应急帐篷', category: 'shelter', kind: S, reader: 'room-bulk' },
  { id: 'quilts', name: '棉被', category: 'shelter', kind: S, min: 20, reader: 'room-bulk' },
  { id: 'folding-beds', name: '折叠床', category: 'shelter', kind: S, min: 6, reader: 'room-bulk' },

  { id: 'drinking-water', name: '饮用水', category: 'water-food', kind: S, min: 24, reader: 'room-bulk' },
  { id: 'compressed-biscuits', name: '压缩饼干', category: 'water-food', kind: S, min: 30, reader: 'shelf-b' },
  { id: 'instant-noodles', name: '方便面', category: 'water-food', kind: S, min: 24, reader: 'shelf-b' },

  { id: 'megaphone', name: '扩音喇叭', category: 'signalling', kind: S, reader: 'shelf-a' },
  { id: 'whistles', name: '救生哨', category: 'signalling', kind: S, min: 12, reader: 'shelf-a' },
  { id: 'warning-tape', name: '警戒带', category: 'signalling', kind: S, min: 5, reader: 'shelf-a' },
  { id: 'traffic-cones', name: '反光锥桶', category: 'signalling', kind: S, min: 8, reader: 'room-bulk' },
]

export const DEMO_ITEMS: readonly ItemRow[] = [...PROFESSIONAL, ...SUPPLIES]

/** The demo station's walk-round checks (contract v2 §D), items from its real equipment. */
export const DEMO_INSPECTIONS = [
  {
    id: 'weekly-walkround',
    name: '每周巡检',
    every: 'week' as const,
    due: 'mon 09:00',
    items: [
      { id: 'doors', text: '正门、器材室门开关顺畅，门磁无松动' },
      { id: 'keybox', text: '钥匙箱内四把钥匙齐全（正门、器材室各两把）' },
      { id: 'spreader-cutter', text: '液压扩张剪切钳在位，无漏油，刀口无损伤' },
      { id: 'floodlight', text: '移动照明灯已充满电，开灯正常' },
      { id: 'radios', text: '对讲机电量充足，互通试呼正常' },
      { id: 'extinguishers', text: '干粉灭火器压力表指针在绿区，铅封完好' },
      { id: 'first-aid', text: '急救箱封条完好，止血带、弹性绷带数量够用' },
      { id: 'signage', text: '24小时开放指示牌、钥匙保管人联系电话清晰可见' },
    ],
  },
  {
    id: 'monthly-check',
    name: '月度检查',
    every: 'month' as const,
    due: '1 09:00',
    items: [
      { id: 'cut-off-saw', text: '无齿锯试启动正常，锯片无裂纹，燃油充足' },
      { id: 'air-bags', text: '起重气垫充气试验无漏气，气管接头完好' },
      { id: 'leakage-detector', text: '漏电检测仪自检通过，电池电量充足' },
      { id: 'insulated-hook', text: '绝缘救援钩绝缘层无破损，在检验有效期内' },
      { id: 'car-dollies', text: '挪车器滚轮转动灵活，锁止正常' },
      { id: 'escape-hoods', text: '消防自救呼吸器包装完好，在有效期内' },
      { id: 'drainage-pump', text: '排水泵通电试运转正常，水带无破损' },
      { id: 'expiry', text: '药品、饮用水、压缩饼干、方便面无过期（对照台账）' },
      { id: 'batteries', text: '手电筒、头灯可用，备用电池数量不少于40节' },
    ],
  },
]
